import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { assert, nr } from '../../helpers.js';

// The two-file commit of model.save (see src/nn/saving/index.ts): states a killed save can leave,
// the clean-up of what it left, and the clear error for a path that is a file.

const L = nr.layers;
const tmp = () => mkdtempSync(join(tmpdir(), 'neurona-commit-'));
const bits = (m: nr.Model) => m.getWeights().map((t) => Array.from(new Uint8Array(t.data().slice().buffer)));

function pair(): [nr.Sequential, nr.Sequential] {
  const make = (seed: number, activation: string) => {
    nr.setSeed(seed);
    return new nr.Sequential([new L.Dense({ units: 3, activation: activation as 'relu', inputShape: [2], name: 'd' })]);
  };
  return [make(1, 'relu'), make(2, 'tanh')];
}

/** A pid that no process has now: a child that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

test('model.save onto an existing file is a ConfigError that says what to do', async () => {
  const root = tmp();
  try {
    const file = join(root, 'model.bin');
    writeFileSync(file, 'not a directory');
    const [a] = pair();
    await assert.rejects(a.save(file), (e: unknown) => {
      assert.ok(e instanceof nr.ConfigError, `expected ConfigError, got ${String(e)}`);
      assert.match(
        (e as Error).message,
        new RegExp(
          String.raw`model\.save: .*model\.bin exists and is a file, not a directory; ` +
            String.raw`a saved model is a directory holding model\.json and model\.safetensors: .*model\.saveWeights\(path\)`,
        ),
      );
      return true;
    });
    await assert.rejects(a.save(join(file, 'inside')), (e: unknown) => {
      assert.ok(e instanceof nr.ConfigError, `expected ConfigError, got ${String(e)}`);
      assert.match((e as Error).message, /model\.save: cannot create the directory .*model\.bin\/inside: part of the path is a file/);
      return true;
    });
    assert.equal(readFileSync(file, 'utf8'), 'not a directory');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a save stopped after committing model.json loads as the new model, and the next save finishes it', async () => {
  const root = tmp();
  try {
    const [a, b] = pair();
    const dir = join(root, 'm');
    const other = join(root, 'other');
    await a.save(dir);
    await b.save(other);
    // The state between steps 2 and 3: b's model.json committed, b's weights still staged, a's in model.safetensors.
    const json = JSON.parse(readFileSync(join(other, 'model.json'), 'utf8')) as { saveId: string };
    assert.match(json.saveId, /^\d+-[0-9a-f]{16}$/);
    copyFileSync(join(other, 'model.json'), join(dir, 'model.json'));
    copyFileSync(join(other, 'model.safetensors'), join(dir, `model.${json.saveId}.safetensors`));
    const loaded = await nr.loadModel(dir);
    assert.equal(loaded.layers[0]!.getConfig().activation, 'tanh');
    assert.deepEqual(bits(loaded), bits(b), 'the staged weights of the committed save');
    await a.save(dir);
    assert.deepEqual(readdirSync(dir).sort(), ['model.json', 'model.safetensors']);
    assert.deepEqual(bits(await nr.loadModel(dir)), bits(a));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('weights from another save than model.json are a FormatError, not a silent mix', async () => {
  const root = tmp();
  try {
    const [a, b] = pair();
    await a.save(join(root, 'a'));
    await b.save(join(root, 'b'));
    copyFileSync(join(root, 'b', 'model.safetensors'), join(root, 'a', 'model.safetensors'));
    await assert.rejects(nr.loadModel(join(root, 'a')), (e: unknown) => {
      assert.ok(e instanceof nr.FormatError, String(e));
      assert.match(
        (e as Error).message,
        new RegExp(
          String.raw`model\.safetensors was written by another save than .*model\.json ` +
            String.raw`\(save ids "\d+-[0-9a-f]{16}" and "\d+-[0-9a-f]{16}"\); save the model again`,
        ),
      );
      return true;
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('directories written before save ids still load, and weights written by saveWeights load into them', async () => {
  const root = tmp();
  try {
    const [a, b] = pair();
    const dir = join(root, 'm');
    await a.save(dir);
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as Record<string, unknown>;
    delete json.saveId; // the model.json of earlier versions
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    await b.saveWeights(join(dir, 'model.safetensors')); // weights without a save id
    assert.deepEqual(bits(await nr.loadModel(dir)), bits(b));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the next save removes the staged weights and temporary files that killed saves left, and nothing else', async () => {
  const root = tmp();
  try {
    const [a, b] = pair();
    const dir = join(root, 'm');
    await a.save(dir);
    const dead = deadPid();
    const stale = [
      `model.${dead}-0123456789abcdef.safetensors`,
      `.model.json.${dead}.00aa11bb22cc.tmp`,
      `.model.safetensors.${dead}.33dd44ee55ff.tmp`,
    ];
    // A save in flight in a running process (this test's parent) is left alone, and so are the user's files.
    const kept = [
      `model.${process.ppid}-fedcba9876543210.safetensors`,
      `.model.json.${process.ppid}.66aa77bb88cc.tmp`,
      'notes.txt',
      `.other.json.${dead}.99aabbccddee.tmp`,
    ];
    for (const name of [...stale, ...kept]) writeFileSync(join(dir, name), 'partial');
    await b.save(dir);
    assert.deepEqual(readdirSync(dir).sort(), ['model.json', 'model.safetensors', ...kept].sort());
    assert.deepEqual(bits(await nr.loadModel(dir)), bits(b));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
