package org.stablesoftmax.job;

import java.io.IOException;
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
 */
final class OutputDir {

  private final FileSystem fs;
  private final Path target;
  private final Path staging;
  private final boolean overwrite;

  OutputDir(String dir, boolean overwrite, Configuration conf) {
    try {
      this.target = new Path(dir);
      this.fs = target.getFileSystem(conf);
      this.overwrite = overwrite;
      Path parent = fs.makeQualified(target).getParent();
      this.staging = new Path(parent, "." + target.getName() + ".tmp-" + UUID.randomUUID());
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
    } catch (IOException e) {
      throw new UserError("Cannot use the output directory " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Where to write: the staging directory (not created yet). */
  String staging() {
    return staging.toString();
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
