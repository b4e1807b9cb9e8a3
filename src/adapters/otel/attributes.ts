/** Span names of the governance pipeline (digest 3.7). */
export const SPAN = {
  cedarEvaluate: 'soos.cedar.evaluate',
  garWrite: 'soos.gar.write',
  blockClose: 'soos.gar.block_close',
  kiaSign: 'soos.kia.sign',
} as const;

/** Resource attributes of the exporting process (GAR §15.b: spans carry the KIA identity). */
export const RESOURCE = {
  serviceName: 'service.name',
  kernelId: 'soos.governance.kernel_id',
  runtime: 'soos.kee.runtime',
} as const;
