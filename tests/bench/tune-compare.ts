import { loadGraph } from '../../compiler/cli/load-model.js';
import { compareTuned, formatComparison } from '../../compiler/tune-compare.js';
import { parseScriptArgs } from './script-args.js';

/*
 * Re-times a model compiled with an existing tuning database against its untuned default, in
 * alternating rounds, without tuning again (a script, not a test). For measuring a database that
 * tune-bench wrote while the machine was busy:
 *   node dist/tests/bench/tune-compare.js --db .bench/tune-10d/llvmpipe.jsonl [--adapter llvmpipe]
 *        [--model .bench/models/vit_ti16.onnx] [--rounds 7]
 */

const USAGE = 'usage: node dist/tests/bench/tune-compare.js --db DB.jsonl [--adapter A] [--model M.onnx] [--rounds N]';
const { values } = parseScriptArgs('tune-compare.js', USAGE, {
  options: {
    db: { type: 'string' },
    adapter: { type: 'string', default: 'llvmpipe' },
    model: { type: 'string', default: '.bench/models/vit_ti16.onnx' },
    rounds: { type: 'string', default: '7' },
  },
});
if (!values.db) {
  process.stderr.write(`tune-compare.js: --db is required\n${USAGE}\n`);
  process.exit(2);
}
const graph = await loadGraph(values.model);
const compare = await compareTuned({ graph, adapter: values.adapter, db: values.db, rounds: Number(values.rounds), warn: (m) => process.stderr.write(`warning: ${m}\n`) });
process.stdout.write(`${formatComparison(compare)}\n`);
