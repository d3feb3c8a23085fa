using MediaSdk.Contracts;
using System.Globalization;

namespace MediaSdk.Media.Internal;

/// <summary>Builds ffmpeg argument lists: sampling and preprocessing run inside ffmpeg so only sampled, model-sized rgb24
/// frames cross the pipe (ARCHITECTURE.md "Preprocessing"; docs/media.md explains each flag).</summary>
internal static class FfmpegCommand
{
    private static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>
    /// The filter chain. <paramref name="shift"/> (seconds) is subtracted from the timestamps before the fps filter:
    /// the fps filter (rounding "near") fills output slot k with the last input frame whose time rounds to k or less,
    /// i.e. t - shift &lt; (k + 0.5) * interval; with shift = half a source frame that is the frame nearest to the sample
    /// time (k + 0.5) * interval. <paramref name="padEnd"/> clones the last frame for one interval so the fps filter's
    /// end-of-stream rounding never drops a sample the media still covers (the caller caps the count).
    /// </summary>
    public static string Filter(PreprocessOptions pp, double? interval, double shift, bool padEnd, string matrix, string? range)
    {
        var sb = new System.Text.StringBuilder(256);
        sb.Append("setpts=PTS-STARTPTS");
        if (shift > 0) sb.Append('-').Append(F(shift)).Append("/TB");
        if (interval is double t)
        {
            if (padEnd) sb.Append(",tpad=stop_mode=clone:stop_duration=").Append(F(t));
            sb.Append(",fps=fps=").Append(F(1.0 / t)).Append(":start_time=0:round=near");
        }
        // Colour conversion first, at full size, with the stream's matrix and range; then area resize and crop/pad.
        // full_chroma_inp+full_chroma_int on the area scale: without them swscale halves the chroma resolution of RGB
        // input while resizing, and colour edges differ from the in-process (push) path by up to 0.28.
        sb.Append(",scale=in_color_matrix=").Append(matrix);
        if (range is not null) sb.Append(":in_range=").Append(range);
        // Chroma upsampling: bilinear with chroma sited on the top-left luma sample of its 2x2 block, set explicitly so
        // frame metadata (chroma_location) and swscale's per-format defaults play no part. CpuFramePreprocessor (the
        // push path) reproduces exactly this; swscale's default (bicubic, centre siting) differed by up to 0.06.
        sb.Append(":in_h_chr_pos=0:in_v_chr_pos=0:flags=bilinear+accurate_rnd+full_chroma_int,format=rgb24");
        int s = pp.Size;
        if (pp.Letterbox)
        {
            sb.Append(CultureInfo.InvariantCulture, $",scale=w='if(gte(iw,ih),{s},-1)':h='if(gte(iw,ih),-1,{s})':flags=area+full_chroma_inp+full_chroma_int");
            sb.Append(CultureInfo.InvariantCulture, $",pad={s}:{s}:(ow-iw)/2:(oh-ih)/2:black");
        }
        else
        {
            sb.Append(CultureInfo.InvariantCulture, $",scale=w='if(gte(iw,ih),-1,{s})':h='if(gte(iw,ih),{s},-1)':flags=area+full_chroma_inp+full_chroma_int");
            sb.Append(CultureInfo.InvariantCulture, $",crop={s}:{s}");
        }
        return sb.ToString();
    }

    /// <summary>ffmpeg's scale matrix name for a probed colour space; unknown: BT.709 above 576 lines, else BT.601.</summary>
    public static string Matrix(string? colorSpace, int codedHeight) => colorSpace switch
    {
        "bt709" => "bt709",
        "smpte170m" or "bt470bg" or "bt601" => "bt601",
        "bt2020nc" or "bt2020c" or "bt2020" => "bt2020",
        "smpte240m" => "smpte240m",
        "fcc" => "fcc",
        _ => codedHeight > 576 ? "bt709" : "bt601",
    };

    /// <summary>ffmpeg's scale range name for a probed colour range, or null to let ffmpeg use the frame's.</summary>
    public static string? Range(string? colorRange) => colorRange switch
    {
        "tv" or "mpeg" or "limited" => "tv",
        "pc" or "jpeg" or "full" => "pc",
        _ => null,
    };

    /// <summary>The complete argument list.</summary>
    public static List<string> Build(MediaInput input, SourceOptions options, FrameRequest request, string filter,
        double? seek, double? length, long? maxFrames, bool live)
    {
        int threads = Math.Max(1, request.Threads);
        var args = new List<string>(48)
        {
            "-hide_banner", "-nostdin", "-nostats", "-loglevel", "error",
            "-filter_threads", threads.ToString(CultureInfo.InvariantCulture),
            "-protocol_whitelist", input.ProtocolWhitelist,
        };
        if (live)
        {
            // Default probing buffers ~5 s before the first frame on a live input (PLATFORM.md); probe minimally.
            args.AddRange(["-probesize", "32", "-analyzeduration", "0"]);
        }
        if (!string.IsNullOrWhiteSpace(options.HwAccel)) args.AddRange(["-hwaccel", options.HwAccel]);
        args.AddRange(["-threads", threads.ToString(CultureInfo.InvariantCulture)]);
        if (seek is > 0) args.AddRange(["-ss", F(seek.Value)]);
        if (length is > 0) args.AddRange(["-t", F(length.Value)]);
        args.AddRange(["-i", input.FfmpegInput, "-map", "0:v:0", "-an", "-sn", "-dn", "-vf", filter]);
        if (maxFrames is > 0) args.AddRange(["-frames:v", maxFrames.Value.ToString(CultureInfo.InvariantCulture)]);
        args.AddRange(["-fps_mode", "passthrough", "-pix_fmt", "rgb24", "-f", "rawvideo", "pipe:1"]);
        return args;
    }
}
