namespace MediaSdk.Media;

/// <summary>Where the ffmpeg tools live and where temporary files go.</summary>
public sealed record FfmpegOptions
{
    /// <summary>The defaults: ffmpeg and ffprobe from PATH, the system temporary folder.</summary>
    public static FfmpegOptions Default { get; } = new();

    /// <summary>Folder holding the <c>ffmpeg</c> and <c>ffprobe</c> executables. Null (default): search PATH.</summary>
    public string? BinaryFolder { get; init; }

    /// <summary>Folder for temporary files (FFMpegCore pipes). Null (default): <see cref="Path.GetTempPath"/>.</summary>
    public string? TemporaryFolder { get; init; }
}
