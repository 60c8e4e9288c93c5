/** The MIME type of a lattice's DAG in notebook outputs (see schema/dag.schema.json). */
export const DAG_MIME_TYPE = "application/vnd.valence.dag+json";
