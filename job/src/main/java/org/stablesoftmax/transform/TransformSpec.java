package org.stablesoftmax.transform;

import org.stablesoftmax.stats.PartitionStats;
import java.io.Serializable;
import java.util.List;
import org.stablesoftmax.arrow.StageSpec;
import org.stablesoftmax.evaluate.EvalSpec;

/**
 * What a transform computes, shipped to the tasks with the code.
 *
 * @param stage what the Arrow stage computes, and the kept columns
 * @param outputs the output columns, in order
 * @param topK the k of {@code top_k}
 * @param filePrefix removed from file paths in row ids (the input's common directory)
 */
public record TransformSpec(StageSpec stage, List<Output> outputs, int topK, String filePrefix)
    implements Serializable {

  public TransformSpec {
    outputs = List.copyOf(outputs);
  }

  public double temperature() {
    return stage.temperature();
  }

  /** How the rows' incidents are counted: as {@code evaluate} counts them. */
  public EvalSpec counting() {
    return new EvalSpec(stage.logits(), stage.temperature(), topK, stage.naiveDtype(),
        stage.hasLabel(), false, 0, filePrefix, stage.batchBytes(), stage.batchRows(),
        PartitionStats.BINS);
  }
}
