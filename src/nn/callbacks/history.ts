import { Callback, type Logs } from './callback.js';

/**
 * Records every epoch's logs; `fit` returns it. `history.history.loss[i]` is epoch i's loss, one array
 * per key seen (`loss`, `accuracy`, `val_loss`, ...), and `history.epoch` the epoch indices (0-based).
 */
export class History extends Callback {
  history: Record<string, number[]> = {};
  epoch: number[] = [];

  override onTrainBegin(): void {
    this.epoch = [];
  }

  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    this.epoch.push(epoch);
    for (const [key, value] of Object.entries(logs)) {
      this.history[key] ??= [];
      this.history[key].push(value);
    }
  }

  override getState(): unknown {
    return { history: this.history, epoch: this.epoch };
  }

  override setState(state: unknown): void {
    const s = state as { history: Record<string, number[]>; epoch: number[] };
    this.history = Object.fromEntries(Object.entries(s.history).map(([k, v]) => [k, [...v]]));
    this.epoch = [...s.epoch];
  }
}
