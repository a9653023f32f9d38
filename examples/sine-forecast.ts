/*
 * One-step-ahead forecasting of a noisy sum of two sines with SimpleRNN, LSTM and GRU: each model's
 * test MSE beside the naive forecast, and forecast.png with the test series and every forecast.
 *
 * The exercise is in src/cli/jobs/sine-forecast.ts; this script runs it as `neurona train sine-forecast`
 * does, with the same flags (and --backend, --threads).
 *
 * Run: npx tsx examples/sine-forecast.ts [--points 2000] [--window 40] [--units 32] [--epochs 20] [--out out/sine-forecast]
 */
import { main } from '../src/cli/commands.js';

process.exitCode = await main(['train', 'sine-forecast', ...process.argv.slice(2)]);
