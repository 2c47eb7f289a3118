// A trial script that throws while it is imported (before serveTrial): its error line must reach the results.
import { serveTrial } from '../../trial/serve.js';

const dataset = process.env.NO_SUCH_DATASET;
if (!dataset) throw new Error('boom at import: dataset folder missing');
serveTrial(() => 1);
