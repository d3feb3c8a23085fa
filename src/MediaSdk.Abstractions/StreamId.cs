namespace MediaSdk;

/// <summary>Identifies one stream inside a <c>MediaSession</c>; stamped on every event the stream produces.</summary>
/// <param name="Value">A short name, unique within the session (by default the source's file name or URL host).</param>
public readonly record struct StreamId(string Value)
{
    /// <inheritdoc />
    public override string ToString() => Value;
}
