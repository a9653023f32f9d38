/**
 * Prints `probeWebgpu()` as JSON and exits: run as a process of its own by `neurona info`, so that what
 * Dawn and the Vulkan loader write to stderr while looking for an adapter stays out of the user's
 * terminal.
 */
import { probeWebgpu } from '../backend/webgpu/index.js';

process.stdout.write(JSON.stringify(probeWebgpu()));
process.exit(0);
