import { definePass } from './pass.js';
import { removeDeadNodes } from './rewrite.js';

/** Dead code elimination: drops nodes that no graph output depends on (every op is pure). */
export const Dce = definePass({
  name: 'dce',
  summary: 'remove nodes that no output depends on',
  options: {},
  requires: [],
  establishes: ['no-dead-code'],
  preserves: ['static-shapes', 'constants-folded', 'canonical', 'deduplicated'],
  run: (g) => removeDeadNodes(g),
});
