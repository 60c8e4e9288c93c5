// The notebook kernel: Jupyter's protocol over tslab's TypeScript compiler, rich DAG display, live
// dispatch outputs, and the kernel spec installer. Only the CLI imports this folder.
export { startKernel } from "./start";
export { install, jupyterDataDir, kernelSpec, KERNEL_NAME, DISPLAY_NAME, type InstallOptions } from "./install";
