using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MediaSdk.TestSupport;

/// <summary>A minimal HTTP/1.1 GET server for the files of one folder, on 127.0.0.1 only (for HLS tests; no network).</summary>
public sealed class StaticHttpServer : IDisposable
{
    private readonly TcpListener _listener;
    private readonly string _root;
    private readonly CancellationTokenSource _cts = new();
    private readonly Task _accept;

    /// <summary>Starts serving <paramref name="root"/> on a free loopback port.</summary>
    public StaticHttpServer(string root)
    {
        _root = Path.GetFullPath(root);
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accept = AcceptLoopAsync();
    }

    /// <summary>The port it listens on.</summary>
    public int Port { get; }

    /// <summary>http://127.0.0.1:PORT/<paramref name="relative"/>.</summary>
    public string UrlOf(string relative) => $"http://127.0.0.1:{Port}/{relative.TrimStart('/')}";

    private async Task AcceptLoopAsync()
    {
        while (!_cts.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_cts.Token);
            }
            catch (Exception) when (_cts.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                return;
            }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                NetworkStream stream = client.GetStream();
                using var reader = new StreamReader(stream, Encoding.ASCII, false, 4096, leaveOpen: true);
                while (true)
                {
                    string? requestLine = await reader.ReadLineAsync(_cts.Token);
                    if (string.IsNullOrEmpty(requestLine)) return;
                    bool close = false;
                    string? line;
                    while (!string.IsNullOrEmpty(line = await reader.ReadLineAsync(_cts.Token)))
                        if (line.StartsWith("Connection:", StringComparison.OrdinalIgnoreCase) && line.Contains("close", StringComparison.OrdinalIgnoreCase)) close = true;
                    string[] parts = requestLine.Split(' ');
                    string path = parts.Length > 1 ? Uri.UnescapeDataString(parts[1].Split('?')[0]).TrimStart('/') : "";
                    string full = Path.GetFullPath(Path.Combine(_root, path));
                    byte[] body;
                    string status;
                    string type = full.EndsWith(".m3u8", StringComparison.Ordinal) ? "application/vnd.apple.mpegurl" : "video/mp2t";
                    if (!full.StartsWith(_root, StringComparison.Ordinal) || !File.Exists(full))
                    {
                        status = "404 Not Found";
                        body = [];
                    }
                    else
                    {
                        status = "200 OK";
                        try
                        {
                            body = await File.ReadAllBytesAsync(full, _cts.Token);
                        }
                        catch (IOException)
                        {
                            status = "404 Not Found";
                            body = [];
                        }
                    }
                    string head = $"HTTP/1.1 {status}\r\nContent-Type: {type}\r\nContent-Length: {body.Length}\r\nCache-Control: no-cache\r\n" +
                                  (close ? "Connection: close\r\n" : "") + "\r\n";
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(head), _cts.Token);
                    if (parts[0] != "HEAD") await stream.WriteAsync(body, _cts.Token);
                    if (close) return;
                }
            }
            catch (Exception)
            {
                // client went away or server stopping
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _cts.Cancel();
        _listener.Stop();
        try
        {
            _accept.Wait(2000);
        }
        catch (AggregateException)
        {
        }
        _cts.Dispose();
    }
}
