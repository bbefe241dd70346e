// Tiny Darknet's real weights (see fetch-weights.mjs): a test file that needs
// them imports tinyWeights from here.
import { fetchTinyWeights } from './fetch-weights.mjs';

export const tinyWeights = await fetchTinyWeights();
