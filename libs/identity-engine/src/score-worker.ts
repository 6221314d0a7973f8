// Worker thread body for resolveDatasetParallel: scores one record range and hands the edges back
// (their buffers transferred, not copied).
import { parentPort, workerData } from 'node:worker_threads';
import { runScoringJob, type ScoringJob } from './resolve';

const r = runScoringJob(workerData as ScoringJob);
parentPort?.postMessage(r, [r.a.buffer as ArrayBuffer, r.b.buffer as ArrayBuffer, r.score.buffer as ArrayBuffer]);
