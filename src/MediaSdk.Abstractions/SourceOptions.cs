namespace MediaSdk;

/// <summary>How a file or URL source is read (ffmpeg-backed sources).</summary>
public sealed record SourceOptions
{
    /// <summary>The defaults: whole file; live streams connect for up to 10 s and reconnect forever.</summary>
    public static SourceOptions Default { get; } = new();

    /// <summary>Seek to this media time before decoding; windows then start here. Null: from the beginning.</summary>
    public TimeSpan? Start { get; init; }

    /// <summary>Stop decoding at this media time. Null: to the end.</summary>
    public TimeSpan? End { get; init; }

    /// <summary>Decode at most this much media time (for a live stream, about wall time). Null: no limit.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>ffmpeg <c>-hwaccel</c> value passed through as is (e.g. <c>vaapi</c>, <c>cuda</c>). Null: software decode.</summary>
    public string? HwAccel { get; init; }

    /// <summary>How long the first connection to a live URL is retried (capped exponential backoff). Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a stream that has been live keeps reconnecting after a disconnect. Null (default): forever.</summary>
    public TimeSpan? ReconnectFor { get; init; }

    /// <summary>No data for this long counts as a disconnect (UDP has no connection to lose). Default 5 s.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Longest wait between reconnect attempts. Default 10 s.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Treat the source as live (drop windows rather than wait when the encoder is behind). Null (default):
    /// decided from the URL scheme (network schemes other than plain HTTP(S) files are live; HLS playlists are live).</summary>
    public bool? Live { get; init; }
}
