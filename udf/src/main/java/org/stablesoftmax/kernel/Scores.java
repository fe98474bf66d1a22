package org.stablesoftmax.kernel;

import java.util.Locale;

/**
 * What a row's values are: logits (the default), log-probabilities, or probabilities. The kernel
 * works on logits: a log-probability is one already, and a probability {@code p} is read as the
 * logit {@code log p} (0 as {@code -inf}, a masked class; a negative one as NaN). Softmax then
 * renormalizes the row, as scikit-learn's {@code log_loss} did up to 1.4; a row whose
 * probabilities sum to more than {@link #TOLERANCE} (relative) away from 1 has the incident
 * {@code NOT_NORMALIZED}.
 */
public enum Scores {
  LOGITS,
  LOG_PROBABILITIES,
  PROBABILITIES;

  /** How far from 1 the probabilities of a row may sum before it is NOT_NORMALIZED. */
  public static final double TOLERANCE = 1e-6;

  /** The name users write: "logits", "log_probabilities", "probabilities". */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The scores a name stands for, case-insensitive. */
  public static Scores parse(String name) {
    for (Scores s : values()) {
      if (s.label().equalsIgnoreCase(name.strip())) {
        return s;
      }
    }
    throw new IllegalArgumentException("scores must be logits, log_probabilities or"
        + " probabilities, got '" + name + "'");
  }

  /**
   * Whether a row whose logits' logsumexp (at temperature 1) is {@code lse} is not normalized:
   * its probabilities sum to {@code e^lse}, more than {@link #TOLERANCE} away from 1 (a row of
   * zeros, {@code lse = -inf}, included; NaN is not judged, it has its own incident).
   */
  public boolean notNormalized(double lse) {
    return this != LOGITS && Math.abs(Math.expm1(lse)) > TOLERANCE;
  }
}
