import { Command, Option } from 'commander';
import { formatPassHelp } from '../pipeline-help.js';
import { packageVersion } from '../package-info.js';
import type { CommandIo } from './io.js';
import { collect, duration, nonNegativeInt, nonNegativeNumber, positiveInt } from './option-values.js';
import { COMPILE_TARGETS, RUN_TARGETS } from './targets.js';

/** Filled in when commander rejects the command line, so the error can name the subcommand. */
export interface UsageState {
  command: string | undefined;
}

const ADAPTER_HELP = "WebGPU adapter: auto (a GPU, else llvmpipe, else SwiftShader), llvmpipe, swiftshader, or part of an adapter's name";

/**
 * The `vitc` command line. Commander never exits or prints errors itself: every failure is
 * thrown and reported as one line by the caller. Each command's code is loaded when it runs, so
 * `vitc import` does not pay for loading WebGPU or onnxruntime.
 */
export function buildProgram(io: CommandIo, usage: UsageState): Command {
  const program = new Command('vitc')
    .description('vitc: compiles Vision Transformer graphs (ONNX or vitc text IR) to WebGPU and CUDA kernels')
    .version(packageVersion(), '-V, --version')
    .option('--debug', 'show stack traces with errors')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: () => {}, outputError: () => {} })
    .showSuggestionAfterError(true);

  const command = (name: string): Command => {
    const cmd = program.command(name);
    cmd.configureOutput({ outputError: () => (usage.command = name) });
    return cmd;
  };

  command('import')
    .description('import an ONNX model into vitc text IR (weights go to a .safetensors file beside it)')
    .argument('<model>', 'ONNX model file')
    .option('-o, --output <file>', 'text IR file to write (.vir)')
    .option('--report', 'print which ONNX ops the model uses and how each was handled')
    .action(async (model: string, opts) => (await import('./commands/import.js')).importCommand(model, opts, io));

  command('opt')
    .description('run a pass pipeline on a model and write the result as text IR')
    .argument('<input>', 'model: .vir or .onnx')
    .requiredOption('-p, --passes <pipeline>', 'pass pipeline, e.g. "canonicalize,fold-constants,cse,dce"')
    .requiredOption('-o, --output <file>', 'text IR file to write (.vir)')
    .addOption(new Option('--print-ir-after-all', 'print the IR to stderr after every pass').conflicts('printIrAfterChange'))
    .option('--print-ir-after-change', 'print the IR to stderr after each pass that changed it')
    .option('--time-passes', 'print a table of pass wall times to stderr')
    .option('--remarks', "print the passes' remarks to stderr")
    .addHelpText('after', () => `\nPasses:\n${formatPassHelp().replace(/^/gm, '  ')}`)
    .action(async (input: string, opts) => (await import('./commands/opt.js')).optCommand(input, opts, io));

  command('run')
    .description('run a model (.onnx, .vir or a compiled artifact folder) on .npy inputs or an image')
    .argument('<model>', 'model: .onnx, .vir, or a folder written by vitc compile')
    .addOption(new Option('-t, --target <target>', `where to run: ${RUN_TARGETS.join(', ')}`).default('reference'))
    .option('--adapter <adapter>', ADAPTER_HELP, 'auto')
    .option('--pipeline <pipeline>', 'passes to run before executing (model files only)')
    .option('--batch <n>', 'batch size the WebGPU kernels are compiled for (default: the inputs\' batch)', positiveInt)
    .option('-i, --input <name=file.npy>', 'an input tensor (repeatable); NAME= may be left out for a one-input model', collect, [])
    .option('--image <file>', 'a PNG or JPEG image as the input: resized and normalised to the model input; prints the top-5 classes')
    .option('--labels <file>', 'class names for --image, one per line')
    .option('--output-dir <dir>', 'write each output as <dir>/<output name>.npy')
    .action(async (model: string, opts) => (await import('./commands/run.js')).runCommand(model, opts, io));

  command('verify')
    .description('compare vitc with onnxruntime-node on seeded random inputs')
    .argument('<model>', 'ONNX model file')
    .addOption(new Option('-t, --target <target>', `where vitc runs: ${RUN_TARGETS.join(', ')}`).default('reference'))
    .option('--adapter <adapter>', ADAPTER_HELP, 'auto')
    .option('--pipeline <pipeline>', 'passes to run on vitc\'s side')
    .option('--rtol <x>', 'relative tolerance', nonNegativeNumber, 1e-4)
    .option('--atol <x>', 'absolute tolerance', nonNegativeNumber, 1e-5)
    .option('--seed <n>', 'random seed of the inputs', nonNegativeInt, 0)
    .option('--batch <n>', 'value of a symbolic batch dimension', positiveInt)
    .action(async (model: string, opts) => (await import('./commands/verify.js')).verifyCommand(model, opts, io));

  command('stats')
    .description('FLOPs per image and tokens per transformer block, with totals, before and after a pipeline')
    .argument('<model>', 'model: .onnx or .vir')
    .option('-p, --passes <pipeline>', "passes to compare against the model, e.g. 'tome{r=8}' (run after fold-constants,canonicalize,fuse-attention)")
    .option('--json', 'print the figures as JSON')
    .action(async (model: string, opts) => (await import('./commands/stats.js')).statsCommand(model, opts, io));

  command('compile')
    .description('compile a model ahead of time into a folder that runs without vitc')
    .argument('<model>', 'model: .onnx or .vir')
    .requiredOption('-t, --target <target>', `code to generate: ${COMPILE_TARGETS.join(', ')}`)
    .requiredOption('-o, --output <dir>', 'artifact folder to write (replaced as a whole)')
    .option('--batch <n>', 'batch size the kernels are specialised for', positiveInt)
    .option('--adapter <adapter>', `compile for this adapter's limits (default: WebGPU's default limits, which every device offers); ${ADAPTER_HELP}`)
    .option('--pipeline <pipeline>', 'passes to run before compiling')
    .option('--stats', 'print dispatches, programs, bytes moved, memory and a per-kernel table')
    .option('--tuning-db <file>', 'use tuned schedules from this database (vitc tune): per kernel the exact device, else the nearest device, else the default; the device is --adapter (default auto)')
    .action(async (model: string, opts) => (await import('./commands/compile.js')).compileCommand(model, opts, io));

  command('tune')
    .description('tune kernel schedules on a WebGPU adapter into a records database, or plot a database (--report)')
    .argument('[model]', 'model: .onnx or .vir')
    .addOption(new Option('-t, --target <target>', 'target to tune for: webgpu').default('webgpu'))
    .option('--adapter <adapter>', ADAPTER_HELP, 'auto')
    .option('--db <file>', 'tuning records database (JSON Lines, appended to)')
    .addOption(new Option('--trials <n>', 'measure at most N candidate schedules per unique workload (default 32 without --budget)').argParser(positiveInt))
    .option('--budget <time>', 'wall-clock budget for the whole run (10m, 90s, 1h30m), shared by workload weight', duration)
    .option('--resume', 'skip schedules already measured on this exact device and continue from their results')
    .option('--batch <n>', 'batch size the kernels are specialised for', positiveInt, 1)
    .option('--seed <n>', 'random seed of the search', nonNegativeInt, 1)
    .option('--timing <how>', 'auto: GPU timestamps where the adapter has them, else submit→onSubmittedWorkDone; cpu: process CPU time (CPU adapters; steadier on a busy machine)', 'auto')
    .option('--compare <rounds>', 'afterwards, time the whole model default vs tuned, alternately, this many rounds', positiveInt)
    .option('--report <db>', 'instead of tuning, plot best-so-far time against trials per workload from a database')
    .option('-o, --output <file>', 'SVG file for --report')
    .action(async (model: string | undefined, opts) => (await import('./commands/tune.js')).tuneCommand(model, opts, io));

  return program;
}
