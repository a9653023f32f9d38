#!/usr/bin/env node
// The `neurona` command (package.json "bin").
import { main } from './commands.js';

process.exitCode = await main(process.argv.slice(2));
