// Sample 01: tag a video file through the public API.
//   dotnet run --project samples/01-TagFile -c Release -- path/to/clip.mp4 "a dog,a car,a beach"
using MediaSdk;

if (args.Length < 1)
{
    Console.Error.WriteLine("usage: 01-TagFile <video file> [comma-separated labels]");
    return 2;
}
string[] labels = args.Length > 1 ? args[1].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : ["a person", "a car", "text on screen"];

// A seeded random-init encoder until the trained default model ships; swap in .UseModel("models/btok-tiny").
await using MediaSession session = new MediaSdkBuilder().UseRandomModel(seed: 0).Build();
try
{
    session.AddSource(args[0], StreamOptions.Default with { Labels = [.. labels] });
}
catch (MediaInputException e)
{
    Console.Error.WriteLine(e.Message);
    return 3;
}
session.CompleteAdding();

await foreach (MediaEvent e in session.ReadEventsAsync())
{
    switch (e)
    {
        case WindowEvent w:
            Console.WriteLine($"{w.Start,6:0.0}s-{w.End,6:0.0}s  {string.Join(", ", w.Tags.Select(t => $"{t.Label} ({t.Score:0.00})"))}");
            break;
        case ErrorEvent err:
            Console.Error.WriteLine(err.Message);
            return 3;
    }
}
return 0;
