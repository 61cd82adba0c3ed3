import { Command, Option } from 'commander';
import { formatPassHelp } from '../pipeline-help.js';
import { packageVersion } from '../package-info.js';
import type { CommandIo } from './io.js';
import { collect, nonNegativeInt, nonNegativeNumber, positiveInt } from './option-values.js';
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
    .description('vitc: compiles Vision Transformer graphs (ONNX or vitc text IR) to WebGPU kernels')
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
    .option('--calib <file.npy>', 'calibration inputs for passes that measure the model (attn-to-conv{auto}); default: the bundled MNIST digits')
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

  command('compile')
    .description('compile a model ahead of time into a folder that runs without vitc')
    .argument('<model>', 'model: .onnx or .vir')
    .requiredOption('-t, --target <target>', `code to generate: ${COMPILE_TARGETS.join(', ')}`)
    .requiredOption('-o, --output <dir>', 'artifact folder to write (replaced as a whole)')
    .option('--batch <n>', 'batch size the kernels are specialised for', positiveInt)
    .option('--adapter <adapter>', `compile for this adapter's limits (default: WebGPU's default limits, which every device offers); ${ADAPTER_HELP}`)
    .option('--pipeline <pipeline>', 'passes to run before compiling')
    .option('--stats', 'print dispatches, programs, bytes moved, memory and a per-kernel table')
    .option('--calib <file.npy>', 'calibration inputs for passes that measure the model (attn-to-conv{auto}); default: the bundled MNIST digits')
    .action(async (model: string, opts) => (await import('./commands/compile.js')).compileCommand(model, opts, io));

  return program;
}
