// The extension's style module (package.json `styleModule`): JupyterLab loads it at start-up.
import "./index.css";
