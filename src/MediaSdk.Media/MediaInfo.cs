namespace MediaSdk.Media;

/// <summary>What <see cref="MediaProbe.ProbeAsync(string, CancellationToken)"/> learned about an input's primary video stream.</summary>
/// <param name="Duration">Seconds of video from the first frame (0 when the container does not say, e.g. live input).</param>
/// <param name="Fps">Average frame rate (frames per second; 0 when unknown).</param>
/// <param name="Width">Displayed width in pixels, after rotation.</param>
/// <param name="Height">Displayed height in pixels, after rotation.</param>
/// <param name="Codec">ffmpeg codec name (h264, hevc, vp9, ...).</param>
/// <param name="PixelFormat">ffmpeg pixel format name (yuv420p, yuv420p10le, ...).</param>
/// <param name="Rotation">Display rotation in degrees from the container's display matrix (0, 90, 180, 270 or negative forms).</param>
/// <param name="StartTime">Container timestamp of the first video frame in seconds (media time 0 maps to it).</param>
/// <param name="ColorMatrix">The stream's YCbCr matrix as ffmpeg names it (bt709, smpte170m, ...), or null when unknown.</param>
/// <param name="ColorRange">The stream's range as ffmpeg names it (tv, pc), or null when unknown.</param>
/// <param name="BitDepth">Bits per sample when known (8, 10, ...).</param>
/// <param name="HasVideo">True when the input has a video stream (always true for a successful probe of a file).</param>
public sealed record MediaInfo(
    double Duration,
    double Fps,
    int Width,
    int Height,
    string Codec,
    string PixelFormat,
    int Rotation,
    double StartTime,
    string? ColorMatrix,
    string? ColorRange,
    int? BitDepth,
    bool HasVideo);
