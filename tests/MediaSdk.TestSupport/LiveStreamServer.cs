using System.Diagnostics;

namespace MediaSdk.TestSupport;

/// <summary>An ffmpeg process that serves a live testsrc2 stream on loopback (real time, -re). Dispose kills it.</summary>
public sealed class LiveStreamServer : IDisposable
{
    private readonly Process _process;

    private LiveStreamServer(Process process, string url)
    {
        _process = process;
        Url = url;
    }

    /// <summary>The URL a client (the source under test) opens.</summary>
    public string Url { get; }

    /// <summary>The server's pid.</summary>
    public int Pid => _process.Id;

    /// <summary>True while the server process runs.</summary>
    public bool IsRunning => !_process.HasExited;

    /// <summary>MPEG-TS over TCP: ffmpeg listens on 127.0.0.1:<paramref name="port"/> and accepts one client.</summary>
    public static LiveStreamServer StartTcp(int port, int width = 320, int height = 240, int fps = 25) =>
        Start($"tcp://127.0.0.1:{port}", ["-f", "mpegts", $"tcp://127.0.0.1:{port}?listen=1"], width, height, fps);

    /// <summary>MPEG-TS over UDP: ffmpeg pushes to 127.0.0.1:<paramref name="port"/> (the client listens there).</summary>
    public static LiveStreamServer StartUdp(int port, int width = 320, int height = 240, int fps = 25) =>
        Start($"udp://127.0.0.1:{port}", ["-f", "mpegts", $"udp://127.0.0.1:{port}?pkt_size=1316"], width, height, fps);

    /// <summary>A live HLS playlist written into <paramref name="folder"/> (1 s segments); serve it with <see cref="StaticHttpServer"/>.
    /// <see cref="Url"/> is the playlist's file path.</summary>
    public static LiveStreamServer StartHls(string folder, int width = 320, int height = 240, int fps = 25)
    {
        Directory.CreateDirectory(folder);
        string playlist = Path.Combine(folder, "live.m3u8");
        return Start(playlist, ["-f", "hls", "-hls_time", "1", "-hls_list_size", "6", "-hls_flags", "delete_segments", playlist], width, height, fps);
    }

    private static LiveStreamServer Start(string url, string[] output, int width, int height, int fps)
    {
        var psi = new ProcessStartInfo(Tools.Find("ffmpeg") ?? "ffmpeg")
        {
            RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        foreach (string a in new[]
                 {
                     "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i", $"testsrc2=size={width}x{height}:rate={fps}",
                     "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", fps.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "-pix_fmt", "yuv420p",
                 })
            psi.ArgumentList.Add(a);
        foreach (string a in output) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        p.ErrorDataReceived += static (_, _) => { };
        p.OutputDataReceived += static (_, _) => { };
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        return new LiveStreamServer(p, url);
    }

    /// <summary>Kills the server (simulates a sender going away) and waits for it to exit.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
