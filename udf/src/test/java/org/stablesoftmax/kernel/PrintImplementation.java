package org.stablesoftmax.kernel;

/** Prints the kernel implementation this JVM chose; run in a child JVM by a test. */
final class PrintImplementation {
  public static void main(String[] args) {
    System.out.println(StableSoftmax.implementation());
  }
}
