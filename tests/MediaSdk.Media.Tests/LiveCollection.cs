namespace MediaSdk.Media.Tests;

/// <summary>Timing-sensitive live-stream tests run alone, one at a time.</summary>
[CollectionDefinition("Live", DisableParallelization = true)]
public sealed class LiveCollection;
