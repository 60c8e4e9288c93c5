// What one sample of the page's measurements returns to bench/extension.ts (types only, no DOM).

export interface DrawSample {
  /** show() until the new drawing is styled and laid out (a forced layout read). */
  shownMs: number;
  /** show() until the frame with the drawing has been produced (a task queued from the next rAF). */
  paintedMs: number;
  /** Of that, shapeGraph + layoutDag (dagre) alone, timed in a separate call on the same document. */
  layoutMs: number;
  drawnNodes: number;
}

export interface LiveSample {
  /** First `update` message's arrival until the last updated node's class says COMPLETED. */
  updatesMs: number;
  /** Longest time between two animation frames from link.connect() to the frame after the last update. */
  maxFrameGapMs: number;
  frames: number;
  /** Longest animation frame of the page's main thread (LoAF: only frames over 50 ms are reported; else 0). */
  longestFrameMs: number;
  completedNodes: number;
}

export interface BareSample {
  /** First `update` message's arrival until the last message's. */
  receiveMs: number;
  maxFrameGapMs: number;
  frames: number;
}
