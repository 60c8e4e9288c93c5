// The MIME type of a lattice's DAG in notebook outputs: one definition, in schema/src/display.ts.
export { DAG_MIME_TYPE } from "./schema/display";
