// The extension's style module (package.json `styleModule`): JupyterLab loads it at start-up. The
// same files, in the same order, as index.css imports.
import "./dag.css";
import "./glyphs.css";
import "./panel.css";
import "./dispatches.css";
import "./waiting.css";
