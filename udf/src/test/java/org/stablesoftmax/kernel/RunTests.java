package org.stablesoftmax.kernel;

import java.io.PrintWriter;
import java.util.Arrays;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Runs the test classes ({@code Class}) and methods ({@code Class#method(types)}) named in its
 * arguments in this JVM and prints what ran and the summary;
 * exits 0 only when every test passed. Started in a child JVM by {@link WithoutAvx512Test}.
 */
final class RunTests {
  public static void main(String[] args) {
    LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
        .selectors(Arrays.stream(args).map(a -> a.contains("#")
            ? DiscoverySelectors.selectMethod(a) : DiscoverySelectors.selectClass(a)).toList())
        .build();
    SummaryGeneratingListener listener = new SummaryGeneratingListener();
    LauncherFactory.create().execute(request, listener);
    TestExecutionSummary s = listener.getSummary();
    s.printFailuresTo(new PrintWriter(System.out, true), 20);
    System.out.println("implementation " + StableSoftmax.implementation());
    System.out.println("expected " + Kernels.EXPECTED + " (" + Kernels.why() + ")");
    System.out.println("found " + s.getTestsFoundCount() + " succeeded "
        + s.getTestsSucceededCount() + " failed " + s.getTotalFailureCount() + " skipped "
        + s.getTestsSkippedCount() + " aborted " + s.getTestsAbortedCount());
    boolean ok = s.getTotalFailureCount() == 0 && s.getTestsFoundCount() > 0
        && s.getTestsSucceededCount() == s.getTestsFoundCount();
    System.exit(ok ? 0 : 1);
  }
}
