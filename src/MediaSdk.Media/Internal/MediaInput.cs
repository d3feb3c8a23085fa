namespace MediaSdk.Media.Internal;

/// <summary>A validated input: a local file or an allow-listed URL, with the ffmpeg protocol whitelist it may use.</summary>
internal sealed class MediaInput
{
    /// <summary>URL schemes MediaSdk accepts (ARCHITECTURE.md "Live sources").</summary>
    public static readonly string[] AllowedSchemes = ["file", "tcp", "udp", "rtp", "rtsp", "rtmp", "srt", "http", "https"];

    private MediaInput(string original, string ffmpegInput, string? scheme, string whitelist, bool isFile, bool isLive, string displayName)
    {
        Original = original;
        FfmpegInput = ffmpegInput;
        Scheme = scheme;
        ProtocolWhitelist = whitelist;
        IsFile = isFile;
        IsLiveByDefault = isLive;
        DisplayName = displayName;
    }

    /// <summary>What the caller passed.</summary>
    public string Original { get; }
    /// <summary>What ffmpeg gets after <c>-i</c>: an absolute path for files, the URL otherwise.</summary>
    public string FfmpegInput { get; }
    /// <summary>Lower-case URL scheme, or null for a local path.</summary>
    public string? Scheme { get; }
    /// <summary>The <c>-protocol_whitelist</c> value: only the protocols this scheme needs (never <c>file</c> for URLs).</summary>
    public string ProtocolWhitelist { get; }
    /// <summary>True for a local file.</summary>
    public bool IsFile { get; }
    /// <summary>True for network schemes other than a plain HTTP(S) file; HLS playlists are live.</summary>
    public bool IsLiveByDefault { get; }
    /// <summary>File name, or host:port.</summary>
    public string DisplayName { get; }

    /// <summary>Classifies <paramref name="input"/> without touching the network.</summary>
    /// <exception cref="MediaNotFoundException">A local path that does not exist or is a directory.</exception>
    /// <exception cref="UnsupportedSchemeException">A URL or ffmpeg protocol prefix outside the allow-list.</exception>
    public static MediaInput Parse(string input)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(input);
        string? scheme = SchemeOf(input);
        // A scheme-looking prefix on a path that exists ("a:b.mp4") is a file; anything else must be allow-listed,
        // because ffmpeg would otherwise interpret prefixes such as concat:, subfile: or data: as protocols.
        if (scheme is not null && !File.Exists(input))
        {
            if (Array.IndexOf(AllowedSchemes, scheme) < 0)
                throw new UnsupportedSchemeException(
                    $"Input '{Truncate(input)}' uses the scheme '{scheme}', which is not allowed; use a local file path or one of: {string.Join(", ", AllowedSchemes)}.");
            if (scheme == "file")
            {
                if (!Uri.TryCreate(input, UriKind.Absolute, out Uri? fileUri) || !fileUri.IsFile)
                    throw new MediaNotFoundException($"Input '{Truncate(input)}' is not a valid file URL; pass a local path or file:///absolute/path.");
                return ForFile(input, fileUri.LocalPath);
            }
            if (!Uri.TryCreate(input, UriKind.Absolute, out Uri? uri) || string.IsNullOrEmpty(uri.Host) && scheme is not ("udp" or "rtp"))
                throw new UnsupportedSchemeException($"Input '{Truncate(input)}' is not a valid {scheme} URL; expected {scheme}://host:port/...");
            bool hls = uri.AbsolutePath.EndsWith(".m3u8", StringComparison.OrdinalIgnoreCase);
            string whitelist = scheme switch
            {
                "tcp" => "tcp",
                "udp" => "udp",
                "rtp" => "rtp,udp",
                "rtsp" => "rtsp,rtp,udp,tcp",
                "rtmp" => "rtmp,tcp",
                "srt" => "srt,udp",
                // HLS fetches segments (maybe over https, maybe AES-encrypted): what it needs and never file.
                _ when hls => "http,https,tcp,tls,crypto",
                "http" => "http,tcp",
                _ => "https,http,tcp,tls",
            };
            bool live = scheme is not ("http" or "https") || hls;
            string name = uri.IsDefaultPort || uri.Port < 0 ? uri.Host : $"{uri.Host}:{uri.Port}";
            return new MediaInput(input, input, scheme, whitelist, isFile: false, live, string.IsNullOrEmpty(name) ? input : name);
        }
        return ForFile(input, input);
    }

    private static MediaInput ForFile(string original, string path)
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new MediaNotFoundException($"Input '{full}' is a directory; pass a video file inside it.");
        if (!File.Exists(full))
            throw new MediaNotFoundException($"Input file '{full}' does not exist; check the path (relative paths resolve against '{Environment.CurrentDirectory}').");
        return new MediaInput(original, full, null, "file", isFile: true, isLive: false, Path.GetFileName(full));
    }

    /// <summary>The lower-case scheme of "scheme:..." (two or more characters, so "C:\x" is a path), or null.</summary>
    private static string? SchemeOf(string input)
    {
        int colon = input.IndexOf(':', StringComparison.Ordinal);
        if (colon < 2) return null;
        if (!char.IsAsciiLetter(input[0])) return null;
        for (int i = 1; i < colon; i++)
        {
            char c = input[i];
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('+' or '-' or '.' or '_')) return null;
        }
        return input[..colon].ToLowerInvariant();
    }

    private static string Truncate(string s) => s.Length <= 120 ? s : s[..117] + "...";
}
