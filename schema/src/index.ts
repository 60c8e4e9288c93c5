// Valence's contracts, shared by the kernel (Node) and the extension (browser): the JSON Schemas and
// the TypeScript types generated from them, and the display rules (display.ts). Nothing here does I/O.
import dagSchema from "../dag.schema.json";
import protocolSchema from "../protocol.schema.json";
import configSchema from "../config.schema.json";
import optionsSchema from "../options.schema.json";
import bullmqSchema from "../bullmq.schema.json";
import runtimeSchema from "../runtime.schema.json";
import { isRuntimeFile as runtimeFileCheck } from "./runtime.check.generated";
import type { RuntimeFile } from "./runtime.generated";

export type {
  DagDocument,
  DagLattice,
  DagNode,
  DagEdge,
  DagDispatch,
  NodeKind,
  Status,
  ValuePreview,
  OutputStructure,
  ElectronOptionsDocument,
  Resources,
  WorkerInfo,
} from "./dag.generated";
export type {
  DispatchRequest,
  RedispatchRequest,
  CancelRequest,
  DeleteRequest,
  DispatchInputs,
  DispatchOutputs,
  TriggerSpec,
  TriggerRecord,
  TriggerList,
  DeleteReply,
  ClientMessage,
  ServerMessage,
  UpdateMessage,
  DispatchSummary,
  DispatchDetail,
  ColumnarDispatchDetail,
  NodeColumns,
  NodeDetail,
  NodeState,
  TaskErrorDocument,
  LogLine,
  KernelCommRequest,
  KernelCommReply,
  ErrorResponse,
  TransportGraphDocument,
  TransportGraphV1Document,
  TransportNodeColumns,
  TransportEdgeColumns,
  TransportNodeDocument,
  TransportOutputDocument,
} from "./protocol.generated";
export type {
  ValenceConfig,
  ExecutorEntry,
  LocalExecutorConfig,
  InlineExecutorConfig,
  BullMQExecutorConfig,
} from "./config.generated";
export type { ElectronOptions, LatticeOptions } from "./options.generated";
export type {
  Payload,
  WorkerIdentity,
  JobData,
  JobResult,
  ResultMessage,
  ControlMessage,
  WorkerRecord,
} from "./bullmq.generated";
export type { RuntimeFile } from "./runtime.generated";

export {
  DAG_MIME_TYPE,
  FINAL_STATUSES,
  MAX_LABEL_CHARS,
  STATUSES,
  fullLabel,
  isFinal,
  isStatus,
  isTaskNode,
  nodeLabel,
  oneLine,
  truncate,
} from "./display";

export { dagSchema, protocolSchema, configSchema, optionsSchema, bullmqSchema, runtimeSchema };

/** Whether `value` is a RuntimeFile: runtime.schema.json compiled ahead of time (no ajv at run time). */
export const isRuntimeFile = runtimeFileCheck as (value: unknown) => value is RuntimeFile;
