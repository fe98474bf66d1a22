package org.stablesoftmax.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayDeque;
import java.util.Deque;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Where a path really is, for comparing outputs with inputs: qualified as Hadoop writes to it
 * (relative paths against the working directory, {@code ..} and {@code file:} URIs as Hadoop
 * normalizes them), and on the local file system with every symbolic link of its existing part
 * resolved. Two paths overlap when one is the other or lies inside it.
 */
final class ResolvedPath {

  private final String scheme;
  /** The path's names from the root, each with a trailing "/" (so "/a/" is not inside "/ab/"). */
  private final String path;

  private ResolvedPath(String scheme, String path) {
    this.scheme = scheme;
    this.path = path.endsWith("/") ? path : path + "/";
  }

  static ResolvedPath of(Path p, Configuration conf) throws IOException {
    FileSystem fs = p.getFileSystem(conf);
    Path q = fs.makeQualified(p);
    String scheme = q.toUri().getScheme() + "://" + (q.toUri().getAuthority() == null ? ""
        : q.toUri().getAuthority());
    if (!"file".equals(q.toUri().getScheme())) {
      return new ResolvedPath(scheme, q.toUri().getPath());
    }
    // the longest existing part, its links resolved, then the names that do not exist yet
    java.nio.file.Path local = Paths.get(q.toUri());
    Deque<String> missing = new ArrayDeque<>();
    while (local.getParent() != null && !Files.exists(local)) {
      missing.push(local.getFileName().toString());
      local = local.getParent();
    }
    java.nio.file.Path real = local.toRealPath();
    for (String name : missing) {
      real = real.resolve(name);
    }
    return new ResolvedPath(scheme, real.normalize().toString());
  }

  private boolean inside(ResolvedPath other) {
    return scheme.equals(other.scheme) && path.startsWith(other.path);
  }

  /**
   * Refuses (a {@link UserError}) an output, this, that equals, contains or lies inside the input
   * {@code input}.
   */
  void refuseOverlap(ResolvedPath input, String outputName, String inputName) {
    String how = null;
    if (inside(input) && input.inside(this)) {
      how = "is the input " + inputName;
    } else if (input.inside(this)) {
      how = "contains the input " + inputName;
    } else if (inside(input)) {
      how = "lies inside the input " + inputName;
    }
    if (how != null) {
      throw new UserError("The output " + outputName + " " + how
          + "; nothing was written or deleted, choose another --output.");
    }
  }
}
