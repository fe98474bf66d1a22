package org.stablesoftmax.job;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * {@code stablesoftmax}: the command line. Exit codes: 0 ok, 1 the Spark job failed, 2 bad usage
 * or bad input (one sentence on stderr), 3 a quality gate failed.
 */
@Command(name = "stablesoftmax", mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Numerically stable softmax, cross-entropy and model evaluation over Parquet"
        + " logits on Apache Spark.",
    subcommands = {EvaluateCommand.class, TransformCommand.class, GenerateCommand.class,
        CompareCommand.class})
public final class Main {

  static final int OK = 0;
  static final int JOB_FAILED = 1;
  static final int BAD_INPUT = 2;
  static final int GATE_FAILED = 3;

  /** Where conf/log4j2.properties sends full log lines and stack traces. */
  static final String LOG_FILE = System.getProperty("stablesoftmax.log.file",
      "logs/stablesoftmax.log");

  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  @Option(names = Defaults.CONF_OPTION, paramLabel = "FILE", scope = CommandLine.ScopeType.INHERIT,
      description = "A properties file of option defaults, over conf/" + Defaults.FILE + ".")
  Path conf;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns the exit code. */
  public static int run(String... args) {
    CommandLine cli = new CommandLine(new Main());
    // an argument "@FILE" is an option's value (--class-weights @FILE), not a file of arguments
    cli.setExpandAtFiles(false);
    Defaults defaults;
    try {
      defaults = Defaults.load(confFile(args));
      defaults.check(() -> new CommandLine(new Main()));
      cli.setDefaultValueProvider(defaults);
    } catch (UserError e) {
      cli.getErr().println("stablesoftmax: " + e.getMessage());
      return BAD_INPUT;
    }
    // bad usage: one line naming the problem and the help to read, not picocli's full usage
    cli.setParameterExceptionHandler((e, given) -> {
      CommandLine command = e.getCommandLine();
      command.getErr().println("stablesoftmax: " + usageProblem(e) + "; see '"
          + command.getCommandSpec().qualifiedName() + " --help'");
      return BAD_INPUT;
    });
    cli.setExecutionExceptionHandler((e, commandLine, parsed) -> {
      if (e instanceof UserError) {
        // the sentence on the console, and with its stack trace in the log file
        String message = withOrigin(e.getMessage(), parsed, defaults);
        LOG.info("bad input: {}", message, e);
        commandLine.getErr().println("stablesoftmax: " + message);
        return BAD_INPUT;
      }
      LOG.error("the job failed", e);
      commandLine.getErr().println("stablesoftmax: the job failed: " + oneLine(e)
          + " (stack trace in the log, " + LOG_FILE + ")");
      return JOB_FAILED;
    });
    return cli.execute(args);
  }

  /** An option named at the start of a message, as the subcommands' range checks name them. */
  private static final Pattern LEADING_OPTION = Pattern.compile("^--[a-z][a-z0-9-]*");

  /**
   * A message about an option's value ("--temperature must be ...") with where the value came
   * from, when a conf file rather than the command line set it.
   */
  private static String withOrigin(String message, ParseResult parsed, Defaults defaults) {
    Matcher m = LEADING_OPTION.matcher(message);
    if (!m.find()) {
      return message;
    }
    ParseResult command = parsed;
    while (command.hasSubcommand()) {
      command = command.subcommand();
    }
    OptionSpec option = command.commandSpec().findOption(m.group());
    String origin = option == null || command.hasMatchedOption(option) ? null
        : defaults.origin(option);
    if (origin == null) {
      return message;
    }
    String sentence = message.endsWith(".") ? message.substring(0, message.length() - 1)
        : message;
    return sentence + " (" + origin + ").";
  }

  /**
   * What is wrong with the command line, in one line. Unknown arguments come first: picocli
   * reports a missing required option before them, though a mistyped {@code --input} is why.
   */
  private static String usageProblem(ParameterException e) {
    CommandLine command = e.getCommandLine();
    List<String> unmatched = command.getUnmatchedArguments();
    if (unmatched.isEmpty()) {
      return e.getMessage().lines().findFirst().orElse("bad usage");
    }
    String first = unmatched.get(0);
    String what;
    List<String> named;
    if (first.startsWith("-")) {
      named = unmatched.stream().filter(a -> a.startsWith("-")).toList();
      what = named.size() == 1 ? "Unknown option " : "Unknown options ";
    } else {
      named = List.of(first);
      what = command.getSubcommands().isEmpty() ? "Unexpected argument " : "Unknown subcommand ";
    }
    List<String> suggestions = new UnmatchedArgumentException(command, unmatched).getSuggestions();
    return what + "'" + String.join("', '", named) + "'" + (suggestions.isEmpty() ? ""
        : " (did you mean " + String.join(" or ", suggestions) + "?)");
  }

  /** The --conf argument, read before parsing because it sets the defaults of the rest. */
  private static Path confFile(String[] args) {
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals(Defaults.CONF_OPTION) && i + 1 < args.length) {
        return Paths.get(args[i + 1]);
      }
      if (args[i].startsWith(Defaults.CONF_OPTION + "=")) {
        return Paths.get(args[i].substring(Defaults.CONF_OPTION.length() + 1));
      }
    }
    return null;
  }

  static String oneLine(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage() == null ? root.getClass().getSimpleName()
        : root.getMessage();
    return message.lines().findFirst().orElse(message);
  }

  /** The version from the jar's manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"stablesoftmax " + (v == null ? "(development build)" : v)};
    }
  }
}
