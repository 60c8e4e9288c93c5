// The rspack configuration of the JupyterLab host: a module-federation host named CORE_FEDERATION
// (like JupyterLab's dev_mode) that shares JupyterLab's packages with prebuilt extensions, plus the
// theme builds of @jupyter/builder. Output in dist/ has the layout of pip's share/jupyter/lab.
import { createRequire } from "node:module";
import { join } from "node:path";

/**
 * @param {object} options
 * @param {string} options.lab - the lab/ folder (its node_modules resolve everything)
 * @param {string} options.generated - where extensions.js and style.js were generated
 * @param {"production" | "development"} options.mode
 * @param {object[]} options.themeConfigs - what Build.ensureAssets returned
 */
export function hostConfigs({ lab, generated, mode, themeConfigs }) {
  const require = createRequire(join(lab, "package.json"));
  const rspack = require("@rspack/core");
  const base = require("@jupyter/builder/lib/webpack.config.base");
  const pkg = require("./package.json");
  const dist = join(lab, "dist");

  const shared = {};
  for (const [name, requiredVersion] of Object.entries(pkg.resolutions)) shared[name] = { requiredVersion };
  for (const name of pkg.jupyterlab.singletonPackages) shared[name] = { ...shared[name], singleton: true };

  const host = {
    ...base,
    name: "host",
    mode,
    context: lab,
    entry: { main: join(lab, "app", "bootstrap.js") },
    output: {
      ...base.output,
      path: join(dist, "static"),
      // The server fills this in per request (the Jinja template); bootstrap.js sets it at run time too.
      publicPath: "{{page_config.fullStaticUrl}}/",
      // The version argument lets the Jupyter server cache the files (no `no-cache` header).
      filename: "[name].[contenthash].js?v=[contenthash]",
      chunkFilename: "[name].[contenthash].js?v=[contenthash]",
      clean: true,
    },
    resolve: { ...base.resolve, alias: { "@valence/lab-generated": generated } },
    optimization: {
      minimize: false,
      splitChunks: {
        chunks: "all",
        cacheGroups: {
          jlab_core: { test: /[\\/]node_modules[\\/]@(jupyterlab|lumino(?!\/datagrid))[\\/]/, name: "jlab_core" },
        },
      },
    },
    devtool: false,
    performance: { hints: false },
    externals: ["ws"],
    plugins: [
      ...base.plugins,
      new rspack.HtmlRspackPlugin({ template: join(lab, "app", "index.html"), filename: "index.html" }),
      new rspack.container.ModuleFederationPlugin({
        name: "CORE_FEDERATION",
        library: { type: "var", name: ["_JUPYTERLAB", "CORE_LIBRARY_FEDERATION"] },
        shared,
      }),
    ],
    // MathJax's loader mentions __dirname for Node; the browser never takes that path.
    ignoreWarnings: [{ module: /mathjax-full[\\/]js[\\/]components[\\/]loader\.js/ }],
    stats: "errors-warnings",
  };
  const themes = themeConfigs.map((config) => ({ ...config, mode, context: lab, stats: "errors-warnings" }));
  return [host, ...themes];
}
