package org.stablesoftmax.job;

import picocli.CommandLine.Option;

/** {@link LogitsOptions} with the one input of {@code evaluate} and {@code transform}. */
final class SingleInputOptions extends LogitsOptions {

  @Option(names = "--input", required = true, paramLabel = "PATH",
      description = "A Parquet file, a directory of them, or a glob.")
  String input;
}
