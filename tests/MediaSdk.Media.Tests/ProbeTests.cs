using MediaSdk.TestSupport;

namespace MediaSdk.Media.Tests;

public sealed class ProbeTests
{
    [Fact(Timeout = 60_000)]
    public async Task ProbeAsync_SameFileAgain_RemembersUntilTheFileChanges()
    {
        Prereq.RequireFfmpeg();
        CancellationToken ct = TestContext.Current.CancellationToken;
        string dir = Directory.CreateTempSubdirectory("msdk-probe-").FullName;
        try
        {
            string path = Path.Combine(dir, "clip.mp4");
            await MakeAsync(path, seconds: 2, ct);
            MediaInfo first = await MediaProbe.ProbeAsync(path, ct);
            Assert.Equal(2.0, first.Duration, 0.1);
            Assert.Equal(first, await MediaProbe.ProbeAsync(path, ct));

            await MakeAsync(path, seconds: 3, ct); // replaced in place: another size and modification time
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddSeconds(5));
            Assert.Equal(3.0, (await MediaProbe.ProbeAsync(path, ct)).Duration, 0.1);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task MakeAsync(string path, int seconds, CancellationToken ct)
    {
        (int exit, _, string err) = await Tools.RunAsync("ffmpeg",
            ["-v", "error", "-y", "-f", "lavfi", "-i", $"testsrc2=size=64x48:rate=10:duration={seconds}", "-pix_fmt", "yuv420p", path], ct);
        Assert.True(exit == 0, err);
    }
}
