package org.stablesoftmax.job;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Debian's chromium, headless, as the report's tests drive it: one short run per page (a fresh
 * profile in a temporary directory, no network services, a timeout after which it and its
 * children are killed by pid), either dumping the DOM after the page's load handlers ran, or
 * taking a screenshot of the window.
 */
final class Chromium {

  static final Path BINARY = Paths.get("/usr/bin/chromium");
  private static final long TIMEOUT_SECONDS = 90;

  private Chromium() {}

  /** Fails, in one sentence, where chromium is missing: never skipped. */
  static void require() {
    if (!Files.isExecutable(BINARY)) {
      fail("The report tests need a real browser, but " + BINARY + " is missing: install"
          + " Debian's chromium (apt-get update && apt-get install -y chromium), as .ci/run does.");
    }
  }

  /** How a page is shown: the window's size and the colour scheme the page sees. */
  record View(int width, int height, boolean dark) {}

  /** The serialized DOM of {@code page} after its load handlers ran. */
  static String dumpDom(Path page, View view) throws IOException, InterruptedException {
    return run(page, view, "--dump-dom");
  }

  /** A screenshot of the window showing {@code page}, as PNG in {@code png}. */
  static void screenshot(Path page, View view, Path png) throws IOException,
      InterruptedException {
    Files.deleteIfExists(png);
    run(page, view, "--screenshot=" + png.toAbsolutePath());
    if (!Files.isRegularFile(png)) {
      fail("chromium wrote no screenshot " + png);
    }
  }

  private static String run(Path page, View view, String what) throws IOException,
      InterruptedException {
    require();
    Path profile = Files.createTempDirectory("chromium-profile");
    Path out = Files.createTempFile("chromium", ".out");
    Path err = Files.createTempFile("chromium", ".err");
    List<String> cmd = new ArrayList<>(List.of(BINARY.toString(), "--headless", "--no-sandbox",
        "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile,
        // the phone view is a page that frames the report: it reads the frame's DOM
        "--allow-file-access-from-files",
        "--window-size=" + view.width() + "," + view.height()));
    if (view.dark()) {
      // Blink's preferred colour scheme: 0 is dark (what prefers-color-scheme then matches)
      cmd.add("--blink-settings=preferredColorScheme=0");
    }
    cmd.add(what);
    cmd.add(page.toAbsolutePath().toUri().toString());
    Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile())
        .redirectError(err.toFile()).start();
    try {
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        fail("chromium did not finish within " + TIMEOUT_SECONDS + " s: " + cmd);
      }
      if (p.exitValue() != 0) {
        fail("chromium exited with " + p.exitValue() + ": " + Files.readString(err));
      }
      return Files.readString(out, StandardCharsets.UTF_8);
    } finally {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
      try (Stream<Path> files = Files.walk(profile)) {
        files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }
}
