package org.stablesoftmax.job;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * An output directory that appears whole or not at all: everything is written to a hidden sibling
 * ({@code .DIR.tmp-<uuid>}, which Spark and Hadoop readers skip) and moved into place by one
 * rename once complete. A directory that exists and is not empty is an error unless
 * {@code overwrite}; then it is replaced only after the new one is complete.
 *
 * <p>Everything that can be known before the work starts is checked when this is made, before
 * anything is created, moved or deleted: the output must not equal, contain or lie inside an
 * input (see {@link ResolvedPath}), must not be a file, and the place where it is to be created
 * must be writable.
 */
final class OutputDir {

  private final FileSystem fs;
  private final Path target;
  private final Path staging;
  private final boolean overwrite;

  /**
   * @param inputs the paths the command reads (the input as given and the files listed in it):
   *     an output that equals, contains or lies inside one is refused
   */
  OutputDir(String dir, boolean overwrite, Configuration conf, List<String> inputs) {
    try {
      this.target = new Path(dir);
      this.fs = target.getFileSystem(conf);
      this.overwrite = overwrite;
      ResolvedPath out = ResolvedPath.of(target, conf);
      for (String input : inputs) {
        out.refuseOverlap(ResolvedPath.of(new Path(input), conf), dir, input);
      }
      Path qualified = fs.makeQualified(target);
      this.staging = new Path(qualified.getParent(),
          "." + target.getName() + ".tmp-" + UUID.randomUUID());
      if (fs.exists(target)) {
        FileStatus status = fs.getFileStatus(target);
        if (!status.isDirectory()) {
          throw new UserError("The output " + dir + " exists and is a file, not a directory.");
        }
        if (fs.listStatus(target).length > 0 && !overwrite) {
          throw new UserError("The output directory " + dir
              + " is not empty; pass --overwrite to replace it.");
        }
      }
      checkWritable(dir, qualified.getParent());
    } catch (IOException e) {
      throw new UserError("Cannot use the output directory " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Checks that directories can be created where the output will be: the closest existing
   * ancestor of {@code parent} must be a directory in which a (removed at once) probe directory
   * can be made.
   */
  private void checkWritable(String dir, Path parent) throws IOException {
    Path existing = parent;
    while (existing != null && !fs.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing == null) {
      return;
    }
    if (!fs.getFileStatus(existing).isDirectory()) {
      throw new UserError("The output " + dir + " cannot be created: " + existing
          + " is a file, not a directory.");
    }
    Path probe = new Path(existing, ".stablesoftmax-probe-" + UUID.randomUUID());
    boolean made;
    String why = "permission denied";
    try {
      made = fs.mkdirs(probe);
    } catch (IOException e) {
      made = false;
      why = Main.oneLine(e);
    }
    if (!made) {
      throw new UserError("The output " + dir + " cannot be written: nothing can be created in "
          + existing + " (" + why + ").");
    }
    fs.delete(probe, true);
  }

  /** Where to write: the staging directory (not created yet). */
  String staging() {
    return staging.toString();
  }

  /** Writes a file {@code name} of UTF-8 {@code text} into the staging directory. */
  void write(String name, String text) throws IOException {
    try (OutputStream o = fs.create(new Path(staging, name), false)) {
      o.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }

  /** Moves the complete staging directory into place. */
  void commit() throws IOException {
    if (fs.exists(target)) {
      if (!overwrite && fs.listStatus(target).length > 0) {
        throw new UserError("The output directory " + target
            + " was filled by someone else meanwhile; nothing was written.");
      }
      fs.delete(target, true);
    }
    Path parent = target.getParent();
    if (parent != null) {
      fs.mkdirs(parent);
    }
    if (!fs.rename(staging, target)) {
      throw new IOException("cannot rename " + staging + " to " + target);
    }
  }

  /** Removes the staging directory (after a failure). */
  void abort() {
    try {
      fs.delete(staging, true);
    } catch (IOException e) {
      // best effort: the staging directory is hidden and named as such
    }
  }
}
