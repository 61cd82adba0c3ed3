import { IndentationText, NewLineKind, Project, QuoteKind } from 'ts-morph';

/** An in-memory ts-morph project with the artifact's formatting (two spaces, single quotes, LF). */
export function inMemoryProject(): Project {
  return new Project({
    useInMemoryFileSystem: true,
    compilerOptions: { allowJs: true },
    manipulationSettings: {
      indentationText: IndentationText.TwoSpaces,
      quoteKind: QuoteKind.Single,
      newLineKind: NewLineKind.LineFeed,
      useTrailingCommas: true,
    },
  });
}
