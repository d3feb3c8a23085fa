namespace MediaSdk.Training.Data;

// Placeholder for the data helper's types (wip/data); replaced on merge.
internal sealed class SideInput
{
    public float[]? Pixels { get; init; }
    public int Frames { get; init; }
    public int[] TextIds { get; init; } = [];
}

internal enum TargetSide { Query, Positive }

internal sealed record TrainingExample(int Line, string Task, SideInput Query, SideInput Positive, IReadOnlyList<SideInput> Negatives, int[]? TargetIds, TargetSide From);
