namespace MediaSdk.Training;

/// <summary>One logged optimiser step: a line of the training log (docs/training.md, "Logs and curves").</summary>
public sealed record TrainingStepRecord
{
    /// <summary>1-based optimiser step.</summary>
    public required int Step { get; init; }

    /// <summary>Number of optimiser steps in the whole run.</summary>
    public required int TotalSteps { get; init; }

    /// <summary>Total loss: InfoNCE + <see cref="LambdaEffective"/> * NTP.</summary>
    public required double Loss { get; init; }

    /// <summary>Contrastive (InfoNCE) loss.</summary>
    public required double InfoNce { get; init; }

    /// <summary>Generative next-token loss; null when the generative loss was off this step.</summary>
    public double? Ntp { get; init; }

    /// <summary>Lambda times the fraction of samples with a target (0 when the generative loss was off).</summary>
    public required double LambdaEffective { get; init; }

    /// <summary>In-batch query-to-positive top-1 accuracy, 0..1.</summary>
    public required double Accuracy { get; init; }

    /// <summary>Mean cosine between the batch's distinct candidate texts; null with fewer than two. Near 1: collapsed.</summary>
    public double? TextCosine { get; init; }

    /// <summary>The frozen warm-up head's cross-entropy on this step's labelled media (--stem-keep); null when off.</summary>
    public double? StemKeepLoss { get; init; }

    /// <summary>The motion head's cross-entropy on this step's labelled videos (--motion-keep); null when off.</summary>
    public double? MotionKeepLoss { get; init; }

    /// <summary>Vision warm-up with several tasks: the batch's accuracy per task (tasks absent from the batch left out).</summary>
    public IReadOnlyDictionary<string, double>? TaskAccuracy { get; init; }

    /// <summary>Learning rate used for this step.</summary>
    public required double LearningRate { get; init; }

    /// <summary>Global gradient norm before clipping.</summary>
    public required double GradNorm { get; init; }

    /// <summary>Wall time of this step in milliseconds.</summary>
    public required double StepMilliseconds { get; init; }

    /// <summary>Seconds since the run started (continues across a resume).</summary>
    public required double ElapsedSeconds { get; init; }

    /// <summary>Task of this step's batch, when batches are per task.</summary>
    public string? Task { get; init; }

    /// <summary>Evaluation score (e.g. train-pair Hit@1 among 16), set on evaluation steps only.</summary>
    public double? EvalHit1 { get; init; }
}
