using MediaSdk.Synth;

namespace MediaSdk.Training.Tests.Evaluation;

/// <summary>Hand-made scene graphs (no rendering): the task builder only reads the graphs.</summary>
internal static class SceneLists
{
    public static readonly TaskVocabulary Vocab = new()
    {
        Shapes = ["circle", "square", "triangle", "star"],
        Colours = ["red", "blue", "green", "yellow"],
        Motions = ["move-left", "move-right", "move-up", "move-down", "rotate", "grow", "shrink", "appear", "disappear", "collide"],
        Words = ["CAT", "DOG", "SUN"],
        HeldOutColourShapes = [("red", "star")],
        HeldOutShapeMotions = [("triangle", "rotate")],
    };

    private static readonly string[] s_sizes = ["small", "medium", "large"];
    private static readonly string[] s_textures = ["solid", "striped", "dotted", "checkered"];
    private static readonly string[] s_backgrounds = ["plain", "gradient", "grid", "noise"];

    /// <summary>Images, clips and long videos in train/val/test; held-out compositions only (and surely) in val/test.</summary>
    public static List<SynthScene> Make(int seed = 1, int images = 30, int clips = 30, int longs = 4)
    {
        var random = new Random(seed);
        var scenes = new List<SynthScene>();
        foreach (string split in new[] { "train", "val", "test" })
        {
            int scale = split == "train" ? 2 : 1;
            for (int i = 0; i < images * scale; i++)
                scenes.Add(Scene(random, split, "image", i, forceHeldOut: split != "train" && i % 5 == 0));
            for (int i = 0; i < clips * scale; i++)
                scenes.Add(Scene(random, split, "clip", i, forceHeldOut: split != "train" && i % 5 == 0));
            for (int i = 0; i < longs * scale; i++)
                scenes.Add(Scene(random, split, "long", i, forceHeldOut: false));
        }
        return scenes;
    }

    private static SynthScene Scene(Random r, string split, string kind, int index, bool forceHeldOut)
    {
        bool train = split == "train";
        int count = 1 + r.Next(3);
        var objects = new List<SynthObject>();
        for (int o = 0; o < count; o++)
        {
            string shape, colour;
            do
            {
                shape = Vocab.Shapes[r.Next(Vocab.Shapes.Count)];
                colour = Vocab.Colours[r.Next(Vocab.Colours.Count)];
            }
            while (train && shape == "star" && colour == "red");
            if (forceHeldOut && o == 0 && kind == "image") (shape, colour) = ("star", "red");
            objects.Add(new SynthObject
            {
                Id = o, Shape = shape, Colour = colour, Size = s_sizes[r.Next(3)], Texture = s_textures[r.Next(4)],
                X = r.NextDouble(), Y = r.NextDouble(),
            });
        }
        var events = new List<SynthEvent>();
        double duration = kind == "long" ? 12 : kind == "clip" ? 2 : 0;
        if (kind == "clip")
            events.Add(new SynthEvent(0.2, 1.8, 0, Motion(r, objects, 0, train, forceHeldOut), count > 1 && r.Next(3) == 0 ? 1 : null));
        if (kind == "clip" && events[0].Motion == "collide" && events[0].Other is null) events[0] = events[0] with { Motion = "move-left" };
        if (kind == "clip" && count > 1 && r.Next(2) == 0)
            events.Add(new SynthEvent(1.0, 1.9, 1, Motion(r, objects, 1, train, false)));
        if (kind == "long")
            for (int e = 0; e < 4; e++)
            {
                int actor = r.Next(count);
                events.Add(new SynthEvent(e * 3 + 0.2, e * 3 + 2.5, actor, Motion(r, objects, actor, train, false)));
            }
        IReadOnlyList<SynthText> texts = r.Next(3) == 0 ? [new SynthText(Vocab.Words[r.Next(3)], "white", 0.5, 0.2, 0, duration)] : [];
        string folder = kind == "image" ? "images" : "clips";
        return new SynthScene
        {
            Id = $"{split}-{kind}-{index:D4}", Split = split, Kind = kind,
            Media = $"media/{folder}/{split}/{kind}-{index:D4}.{(kind == "image" ? "png" : "mp4")}",
            Duration = duration, Width = 160, Height = 120, Fps = kind == "image" ? 0 : 25,
            Background = s_backgrounds[r.Next(4)], BackgroundColour = Vocab.Colours[r.Next(4)],
            Objects = objects, Events = events, Texts = texts,
        };
    }

    private static string Motion(Random r, List<SynthObject> objects, int actor, bool train, bool forceHeldOut)
    {
        if (forceHeldOut && objects[actor].Shape == "triangle") return "rotate";
        while (true)
        {
            string m = Vocab.Motions[r.Next(Vocab.Motions.Count - 1)]; // collide only with an Other
            if (!(train && objects[actor].Shape == "triangle" && m == "rotate")) return m;
        }
    }
}
