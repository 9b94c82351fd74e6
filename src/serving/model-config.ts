/** The configuration a model is served with: what the batcher, dispatcher and invoker use. */
export interface ModelConfig {
  /** The function that serves this model on the platform. */
  functionName: string;
  /** Requests per invocation, at most. */
  batchSize: number;
  processes: number;
  threadsPerProcess: number;
  /** Function memory (sets its vCPU share). */
  memoryMb: number;
  /** Latency objective per request, arrival to answer. */
  sloMs: number;
  /**
   * A fixed batching timeout: a batch leaves once its oldest request waited this long,
   * whatever the SLO would allow (BATCH's timeout knob). Absent: the SLO deadline alone
   * decides, as ferry's own policy does.
   */
  maxWaitMs?: number;
}

export const defaultModelConfig: Omit<ModelConfig, 'functionName'> = {
  batchSize: 8,
  processes: 2,
  threadsPerProcess: 1,
  memoryMb: 3538,
  sloMs: 300,
};
