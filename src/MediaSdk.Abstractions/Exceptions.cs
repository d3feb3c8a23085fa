namespace MediaSdk;

/// <summary>Base of every error MediaSdk raises on purpose. Messages are one line: what, where, how to fix.</summary>
public class MediaSdkException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MediaSdkException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>The input (file, URL or pushed frames) is missing, unreadable, unsupported or unreachable. CLI exit 3.</summary>
public class MediaInputException : MediaSdkException
{
    /// <summary>Creates the exception.</summary>
    public MediaInputException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>The input path does not exist, or is a directory.</summary>
public sealed class MediaNotFoundException : MediaInputException
{
    /// <summary>Creates the exception.</summary>
    public MediaNotFoundException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>The input exists but its content cannot be decoded as video (empty, not a media file, corrupt).</summary>
public class MediaFormatException : MediaInputException
{
    /// <summary>Creates the exception.</summary>
    public MediaFormatException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>The input is valid media but has no video stream (e.g. audio only).</summary>
public sealed class NoVideoStreamException : MediaFormatException
{
    /// <summary>Creates the exception.</summary>
    public NoVideoStreamException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>A live URL could not be reached within the connect timeout, or stopped for longer than the reconnect limit.</summary>
public sealed class MediaUnreachableException : MediaInputException
{
    /// <summary>Creates the exception.</summary>
    public MediaUnreachableException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>The URL scheme is not on the allow-list (file, tcp, udp, rtp, rtsp, rtmp, srt, http, https).</summary>
public sealed class UnsupportedSchemeException : MediaInputException
{
    /// <summary>Creates the exception.</summary>
    public UnsupportedSchemeException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>A model checkpoint is missing, malformed or incompatible. CLI exit 4.</summary>
public sealed class ModelLoadException : MediaSdkException
{
    /// <summary>Creates the exception.</summary>
    public ModelLoadException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>The requested compute device (e.g. CUDA) is not available in this build or on this machine. CLI exit 5.</summary>
public sealed class DeviceUnavailableException : MediaSdkException
{
    /// <summary>Creates the exception.</summary>
    public DeviceUnavailableException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>A required external tool (ffmpeg, ffprobe) or native library is missing. The message says what to install.</summary>
public sealed class DependencyMissingException : MediaSdkException
{
    /// <summary>Creates the exception.</summary>
    public DependencyMissingException(string message, Exception? inner = null) : base(message, inner) { }
}
