package org.stablesoftmax.job;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.MissingParameterException;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;

/**
 * Option defaults from properties: {@code --conf FILE} over {@code conf/stablesoftmax.properties}
 * (in {@code $STABLESOFTMAX_CONF_DIR}, else {@code ./conf}) over the copy of that file built into
 * the jar. A key is an option's longest name without dashes, optionally prefixed by the
 * subcommand's name and a dot ({@code generate.rows} before {@code rows} in the same file; a file
 * higher up wins with either). {@link #check} refuses keys that name no option and values that
 * picocli cannot convert, naming the file and the key.
 */
final class Defaults implements IDefaultValueProvider {

  static final String FILE = "stablesoftmax.properties";
  static final String CONF_OPTION = "--conf";

  /** One file's properties, named for messages. */
  private record Layer(String file, Properties properties) {}

  /** A key that sets an option, in the layer that sets it. */
  private record Setting(Layer layer, String key) {
    String value() {
      return layer.properties().getProperty(key).trim();
    }
  }

  /** From the lowest layer (built in) to the highest ({@code --conf}). */
  private final List<Layer> layers = new ArrayList<>();

  private Defaults() {}

  /** The layered defaults; {@code confFile} (from {@code --conf}) may be null. */
  static Defaults load(Path confFile) {
    Defaults d = new Defaults();
    try (InputStream in = Defaults.class.getResourceAsStream("/" + FILE)) {
      if (in != null) {
        Properties p = new Properties();
        p.load(in);
        d.add("the built-in " + FILE, p);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the built-in " + FILE, e);
    }
    String dir = System.getenv("STABLESOFTMAX_CONF_DIR");
    Path conf = Paths.get(dir != null ? dir : "conf", FILE);
    if (Files.isRegularFile(conf)) {
      d.add(conf.toString(), read(conf));
    }
    if (confFile != null) {
      if (confFile.toString().isEmpty()) {
        throw new UserError(CONF_OPTION + " needs a file name.");
      }
      if (Files.isDirectory(confFile)) {
        throw new UserError("The " + CONF_OPTION + " file " + confFile
            + " is a directory; pass a properties file.");
      }
      if (!Files.isRegularFile(confFile)) {
        throw new UserError("The " + CONF_OPTION + " file " + confFile + " does not exist.");
      }
      d.add(confFile.toString(), read(confFile));
    }
    return d;
  }

  private static Properties read(Path file) {
    Properties p = new Properties();
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(in);
    } catch (IOException | IllegalArgumentException e) {
      throw new UserError("Cannot read the properties file " + file + ": " + e.getMessage(), e);
    }
    return p;
  }

  private void add(String file, Properties p) {
    layers.add(new Layer(file, p));
  }

  /**
   * Checks every layer against the command model {@code commandLine} makes: each key must name an
   * option, and each subcommand must parse with these defaults (picocli converts every default
   * it applies, so a value it cannot convert fails here, whichever subcommand is run).
   */
  void check(Supplier<CommandLine> commandLine) {
    CommandSpec root = commandLine.get().getCommandSpec();
    Set<String> valid = validKeys(root);
    for (Layer layer : layers) {
      List<String> unknown = new TreeSet<>(layer.properties().stringPropertyNames()).stream()
          .filter(k -> !valid.contains(k)).toList();
      if (!unknown.isEmpty()) {
        throw new UserError("Unknown key" + (unknown.size() == 1 ? "" : "s") + " in "
            + layer.file() + ": " + String.join(", ", unknown) + " (a key is an option's name"
            + " without dashes, optionally after the subcommand's name and a dot, e.g."
            + " evaluate.top-k).");
      }
    }
    for (String subcommand : root.subcommands().keySet()) {
      CommandLine scratch = commandLine.get();
      scratch.setDefaultValueProvider(this);
      try {
        scratch.parseArgs(subcommand);
      } catch (MissingParameterException e) {
        // a required option the defaults leave to the command line
      } catch (ParameterException e) {
        throw badValue(e);
      }
    }
  }

  /** Keys that set an option: {@code name} and {@code subcommand.name}, for every subcommand. */
  private static Set<String> validKeys(CommandSpec root) {
    Set<String> keys = new TreeSet<>();
    for (CommandLine sub : root.subcommands().values()) {
      CommandSpec spec = sub.getCommandSpec();
      for (OptionSpec o : spec.options()) {
        if (!o.usageHelp() && !o.versionHelp() && !o.longestName().equals(CONF_OPTION)) {
          keys.add(name(o));
          keys.add(spec.name() + "." + name(o));
        }
      }
    }
    return keys;
  }

  private UserError badValue(ParameterException e) {
    Setting s = e.getArgSpec() instanceof OptionSpec o ? setting(o) : null;
    if (s == null) {
      return new UserError("The option defaults do not apply: " + e.getMessage(), e);
    }
    String why = e.getCause() != null && e.getCause().getMessage() != null
        ? e.getCause().getMessage() : e.getMessage();
    return new UserError("Invalid value in " + s.layer().file() + ": " + s.key() + " = "
        + s.value() + " (" + why + ").", e);
  }

  /**
   * Where the default of {@code o} comes from ("set by evaluate.top-k = 0 in my.properties"), or
   * null if no file sets it.
   */
  String origin(OptionSpec o) {
    Setting s = setting(o);
    return s == null ? null : "set by " + s.key() + " = " + s.value() + " in " + s.layer().file();
  }

  private static String name(OptionSpec o) {
    return o.longestName().replaceFirst("^-+", "");
  }

  /**
   * What sets {@code o}: the highest layer with a key for it, and there {@code subcommand.name}
   * before {@code name}; null if none.
   */
  private Setting setting(OptionSpec o) {
    String name = name(o);
    String qualified = o.command().name() + "." + name;
    for (int i = layers.size() - 1; i >= 0; i--) {
      Properties p = layers.get(i).properties();
      if (p.containsKey(qualified) || p.containsKey(name)) {
        return new Setting(layers.get(i), p.containsKey(qualified) ? qualified : name);
      }
    }
    return null;
  }

  @Override
  public String defaultValue(ArgSpec arg) {
    if (!(arg instanceof OptionSpec)) {
      return null;
    }
    Setting s = setting((OptionSpec) arg);
    return s == null ? null : s.value();
  }
}
