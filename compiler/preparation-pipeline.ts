/**
 * The passes a user pipeline may rely on without naming them: constants folded, the graph
 * canonical, attention raised to one op. `vitc stats` counts after them; `run`, `compile` and
 * `verify` run them first when the user's pipeline needs what they establish (`tome{r=8}`).
 */
export const PREPARATION_PIPELINE = 'fold-constants,canonicalize,fuse-attention';
