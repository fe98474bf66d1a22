package org.stablesoftmax.job;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Properties;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Option defaults from properties: {@code --conf FILE} over {@code conf/stablesoftmax.properties}
 * (in {@code $STABLESOFTMAX_CONF_DIR}, else {@code ./conf}) over the copy of that file built into
 * the jar. A key is an option's longest name without dashes, optionally prefixed by the
 * subcommand's name and a dot ({@code generate.rows} before {@code rows}).
 */
final class Defaults implements IDefaultValueProvider {

  static final String FILE = "stablesoftmax.properties";

  private final Properties properties;

  private Defaults(Properties properties) {
    this.properties = properties;
  }

  /** The layered defaults; {@code confFile} (from {@code --conf}) may be null. */
  static Defaults load(Path confFile) {
    Properties p = new Properties();
    try (InputStream in = Defaults.class.getResourceAsStream("/" + FILE)) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the built-in " + FILE, e);
    }
    String dir = System.getenv("STABLESOFTMAX_CONF_DIR");
    Path conf = Paths.get(dir != null ? dir : "conf", FILE);
    if (Files.isRegularFile(conf)) {
      read(p, conf);
    }
    if (confFile != null) {
      if (!Files.isRegularFile(confFile)) {
        throw new UserError("The --conf file " + confFile + " does not exist.");
      }
      read(p, confFile);
    }
    return new Defaults(p);
  }

  private static void read(Properties into, Path file) {
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      into.load(in);
    } catch (IOException | IllegalArgumentException e) {
      throw new UserError("Cannot read the properties file " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public String defaultValue(ArgSpec arg) {
    if (!(arg instanceof OptionSpec)) {
      return null;
    }
    String name = ((OptionSpec) arg).longestName().replaceFirst("^-+", "");
    String value = properties.getProperty(arg.command().name() + "." + name,
        properties.getProperty(name));
    return value == null ? null : value.trim();
  }
}
