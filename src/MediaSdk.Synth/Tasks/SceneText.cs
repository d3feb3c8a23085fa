using System.Globalization;
using MediaSdk.Synth.Internal;

namespace MediaSdk.Synth;

/// <summary>A question about a scene, its answer and the fixed options of its type.</summary>
/// <param name="Kind">What it asks about (colour, shape, pattern, count, word, motion, partner, which): the bench
/// query's tag, so eval reports each kind of question on its own row.</param>
/// <param name="Question">The question text (never contains the answer).</param>
/// <param name="Answer">The correct option.</param>
/// <param name="Options">Every option of the question's type (includes <paramref name="Answer"/>).</param>
/// <param name="Order">True when the answer depends on the direction of time (reversed frames flip it).</param>
internal sealed record SceneQuestion(string Kind, string Question, string Answer, IReadOnlyList<string> Options, bool Order);

/// <summary>
/// Words for scene graphs: object descriptions, motion phrases, captions with paraphrases, class labels and questions.
/// Everything is derived from the scene graph; randomness (which paraphrase) comes from the caller's seeded Random.
/// </summary>
internal static class SceneText
{
    private static readonly Dictionary<string, string[]> s_sizes = new(StringComparer.Ordinal)
    {
        ["small"] = ["small", "little", "tiny"],
        ["medium"] = ["medium", "medium-sized", "mid-sized"],
        ["large"] = ["large", "big", "huge"],
    };

    private static readonly Dictionary<string, string[]> s_textureAdjectives = new(StringComparer.Ordinal)
    {
        ["solid"] = ["", "plain", "solid"],
        ["striped"] = ["striped"],
        ["dotted"] = ["dotted", "spotted"],
        ["checkered"] = ["checkered", "chequered"],
    };

    private static readonly Dictionary<string, string[]> s_textureWith = new(StringComparer.Ordinal)
    {
        ["solid"] = ["", "in a solid colour"],
        ["striped"] = ["with stripes"],
        ["dotted"] = ["with dots", "with polka dots"],
        ["checkered"] = ["with a checker pattern", "with checks"],
    };

    /// <summary>The answer word of a pattern question, per texture.</summary>
    private static readonly Dictionary<string, string> s_textureNouns = new(StringComparer.Ordinal)
    {
        ["solid"] = "plain",
        ["striped"] = "stripes",
        ["dotted"] = "dots",
        ["checkered"] = "checks",
    };

    private static readonly Dictionary<string, string[]> s_motionPhrases = new(StringComparer.Ordinal)
    {
        ["move-left"] = ["moves left", "travels to the left", "slides leftward", "heads left"],
        ["move-right"] = ["moves right", "travels to the right", "slides rightward", "heads right"],
        ["move-up"] = ["moves up", "rises", "travels upward", "drifts up"],
        ["move-down"] = ["moves down", "falls", "travels downward", "sinks"],
        ["rotate"] = ["rotates", "spins", "turns around"],
        ["grow"] = ["grows", "gets bigger", "expands"],
        ["shrink"] = ["shrinks", "gets smaller", "contracts"],
        ["bounce"] = ["bounces", "bounces up and down", "hops"],
        ["appear"] = ["appears", "comes into view", "shows up"],
        ["disappear"] = ["disappears", "vanishes", "fades from view"],
        ["collide"] = ["collides with", "bumps into", "hits"],
    };

    private static readonly Dictionary<string, string> s_motionLabels = new(StringComparer.Ordinal)
    {
        ["move-left"] = "moving left",
        ["move-right"] = "moving right",
        ["move-up"] = "moving up",
        ["move-down"] = "moving down",
        ["rotate"] = "rotating",
        ["grow"] = "growing",
        ["shrink"] = "shrinking",
        ["bounce"] = "bouncing",
        ["appear"] = "appearing",
        ["disappear"] = "disappearing",
        ["collide"] = "colliding",
    };

    private static readonly Dictionary<string, string> s_directions = new(StringComparer.Ordinal)
    {
        ["move-left"] = "left",
        ["move-right"] = "right",
        ["move-up"] = "up",
        ["move-down"] = "down",
    };

    private static readonly HashSet<string> s_reversible =
        new(["move-left", "move-right", "move-up", "move-down", "grow", "shrink", "appear", "disappear"], StringComparer.Ordinal);

    private static readonly string[] s_numbers = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"];

    /// <summary>Options of the direction question.</summary>
    public static readonly IReadOnlyList<string> Directions = ["left", "right", "up", "down"];

    /// <summary>Options of the size-change question.</summary>
    public static readonly IReadOnlyList<string> SizeChanges = ["it grows", "it shrinks"];

    /// <summary>Options of the visibility question.</summary>
    public static readonly IReadOnlyList<string> VisibilityChanges = ["it appears", "it disappears"];

    /// <summary>The class label of a motion, e.g. "moving left".</summary>
    public static string MotionLabel(string motion) => s_motionLabels.TryGetValue(motion, out string? l) ? l : Words(motion);

    /// <summary>The class label of a shape, e.g. "a circle".</summary>
    public static string ShapeLabel(string shape) => Article(Words(shape));

    /// <summary>The answer word of a count.</summary>
    public static string Number(int n) => n >= 0 && n < s_numbers.Length ? s_numbers[n] : n.ToString(CultureInfo.InvariantCulture);

    /// <summary>The answer word of a pattern question.</summary>
    public static string TextureNoun(string texture) => s_textureNouns.TryGetValue(texture, out string? n) ? n : Words(texture);

    /// <summary>
    /// The shape a classification label may name: the subject's, when it is alone or larger than every other object;
    /// null when another object is as large, so "what shape is shown?" has no single answer.
    /// </summary>
    public static string? SalientShape(SynthScene scene)
    {
        SynthObject subject = scene.Objects[0];
        double size = SceneMotion.SizeFraction(subject.Size);
        for (int i = 1; i < scene.Objects.Count; i++)
            if (SceneMotion.SizeFraction(scene.Objects[i].Size) >= size) return null;
        return subject.Shape;
    }

    /// <summary>
    /// The motion a classification label may name: the main event's, when it is the only thing that moves (no other
    /// object's motion, no occluder crossing); null otherwise, so "what is the main object doing?" has one answer.
    /// </summary>
    public static string? SalientMotion(SynthScene scene)
    {
        if (MainEvent(scene) is not SynthEvent main) return null;
        foreach (SynthEvent e in scene.Events)
            if (e.Object != main.Object) return null;
        return main.Motion;
    }

    /// <summary>The main event of a clip: the subject's first event, else the first event; null without events.</summary>
    public static SynthEvent? MainEvent(SynthScene scene)
    {
        foreach (SynthEvent e in scene.Events)
            if (e.Object == 0) return e;
        return scene.Events.Count > 0 ? scene.Events[0] : null;
    }

    /// <summary>A full description of an object (size, colour, texture, shape), one paraphrase drawn from <paramref name="random"/>.</summary>
    public static string Describe(SynthObject o, Random random)
    {
        string size = Pick(random, s_sizes, o.Size);
        string colour = Words(o.Colour);
        string shape = Words(o.Shape);
        switch (random.Next(3))
        {
            case 0:
                return Article(Join(size, colour, Pick(random, s_textureAdjectives, o.Texture), shape));
            case 1:
                return Article(Join(size, colour, shape, Pick(random, s_textureWith, o.Texture)));
            default:
                return Article(Join(size, Pick(random, s_textureAdjectives, o.Texture), colour, shape));
        }
    }

    /// <summary>"the red circle": the short definite form used for the second object of a collision.</summary>
    public static string Short(SynthObject o) => "the " + Join(Words(o.Colour), Words(o.Shape));

    /// <summary>What an event is, e.g. "a big red circle with stripes travels to the left".</summary>
    public static string EventPhrase(SynthScene scene, SynthEvent e, Random random)
    {
        SynthObject actor = Object(scene, e.Object);
        string phrase = Pick(random, s_motionPhrases, e.Motion);
        if (e.Other is int other && other >= 0 && other < scene.Objects.Count) phrase += " " + Short(scene.Objects[other]);
        return Describe(actor, random) + " " + phrase;
    }

    /// <summary>The canonical form of <see cref="EventPhrase"/>: two events with the same key read the same.</summary>
    public static string EventKey(SynthScene scene, SynthEvent e)
    {
        SynthObject actor = Object(scene, e.Object);
        string other = e.Other is int i && i >= 0 && i < scene.Objects.Count ? Short(scene.Objects[i]) : "";
        return string.Join('|', ObjectKey(actor), e.Motion, other);
    }

    /// <summary>A caption paraphrase: the subject (and for a clip its main event), the background and any word.</summary>
    public static string Caption(SynthScene scene, Random random)
    {
        SynthEvent? main = scene.Kind == "image" ? null : MainEvent(scene);
        string core = main is null ? Describe(scene.Objects[0], random) : EventPhrase(scene, main, random);
        // "a green background" for a plain one, "a green grid background" otherwise.
        string background = scene.Background == "plain" ? Words(scene.BackgroundColour) : Words(scene.BackgroundColour) + " " + Words(scene.Background);
        string text = scene.Texts.Count > 0 ? scene.Texts[0].Text : "";
        int form = random.Next(3);
        string caption = form switch
        {
            0 => $"{core} on {Article(background)} background",
            1 => $"{core} in front of {Article(background)} backdrop",
            _ => core,
        };
        if (text.Length > 0)
            caption += random.Next(2) == 0 ? $", with the word \"{text}\"" : $" and the text \"{text}\"";
        return caption;
    }

    /// <summary>The facts a caption states: two scenes with the same key cannot be told apart by their captions.</summary>
    public static string CaptionKey(SynthScene scene)
    {
        SynthEvent? main = scene.Kind == "image" ? null : MainEvent(scene);
        string core = main is null ? ObjectKey(scene.Objects[0]) : EventKey(scene, main);
        return string.Join('#', core, scene.BackgroundColour, scene.Background, scene.Texts.Count > 0 ? scene.Texts[0].Text : "");
    }

    /// <summary>Image questions: colour, shape, pattern, count, word (each only when its wording is unambiguous).</summary>
    public static List<SceneQuestion> ImageQuestions(SynthScene scene, TaskVocabulary vocab, IReadOnlyList<string> counts, IReadOnlyList<string> words)
    {
        var questions = new List<SceneQuestion>();
        SynthObject subject = scene.Objects[0];
        string shape = Words(subject.Shape), colour = Words(subject.Colour);
        if (Unique(scene, o => o.Shape == subject.Shape))
            questions.Add(new SceneQuestion("colour", $"what colour is the {shape}?", colour, [.. vocab.Colours.Select(Words)], Order: false));
        if (Unique(scene, o => o.Colour == subject.Colour))
            questions.Add(new SceneQuestion("shape", $"what shape is the {colour} object?", ShapeLabel(subject.Shape), [.. vocab.Shapes.Select(ShapeLabel)], Order: false));
        if (Unique(scene, o => o.Colour == subject.Colour && o.Shape == subject.Shape))
            questions.Add(new SceneQuestion("pattern", $"what pattern does the {colour} {shape} have?", TextureNoun(subject.Texture), [.. vocab.Textures.Select(TextureNoun)], Order: false));
        questions.Add(new SceneQuestion("count", "how many objects are there?", Number(scene.Objects.Count), counts, Order: false));
        if (scene.Texts.Count == 1 && words.Contains(scene.Texts[0].Text))
            questions.Add(new SceneQuestion("word", "what word is written?", scene.Texts[0].Text, words, Order: false));
        return questions;
    }

    /// <summary>Video questions: direction, size change, visibility change, which event comes first (all
    /// order-dependent), plus colour and collision partner.</summary>
    public static List<SceneQuestion> VideoQuestions(SynthScene scene, TaskVocabulary vocab)
    {
        var questions = new List<SceneQuestion>();
        SynthObject subject = scene.Objects[0];
        string shape = Words(subject.Shape);
        bool shapeUnique = Unique(scene, o => o.Shape == subject.Shape);
        SynthEvent? main = MainEvent(scene);
        if (main is not null && main.Object == 0 && shapeUnique)
        {
            // One question over every motion label (11 options, not 2-4), so chance stays low and the answer is never
            // one of two. Motions whose time reversal is another motion (directions, size, visibility) are "order".
            if (main.Motion == "collide" && main.Other is int other && other >= 0 && other < scene.Objects.Count)
                questions.Add(new SceneQuestion("partner", $"what does the {shape} run into?", ShapeLabel(scene.Objects[other].Shape), [.. vocab.Shapes.Select(ShapeLabel)], Order: false));
            else
                questions.Add(new SceneQuestion("motion", $"what is the {shape} doing?", MotionLabel(main.Motion), [.. vocab.Motions.Select(MotionLabel)],
                    Order: s_reversible.Contains(main.Motion)));
            questions.Add(new SceneQuestion("colour", $"what colour is the {shape}?", Words(subject.Colour), [.. vocab.Colours.Select(Words)], Order: false));
        }

        // Which event happens first: distinct events whose starts are clearly apart (>= 0.5 s from every other).
        var firsts = new List<SynthEvent>();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (SynthEvent e in scene.Events.OrderBy(e => e.Start))
            if (keys.Add(EventKey(scene, e))) firsts.Add(e);
        if (firsts.Count >= 3)
        {
            List<SynthEvent> chosen = firsts.Take(4).ToList();
            bool apart = true;
            for (int i = 1; i < chosen.Count; i++) apart &= chosen[i].Start - chosen[i - 1].Start >= 0.5;
            if (apart)
            {
                // Short descriptions: the question asks for the order, not the look (colour + shape + motion label).
                List<string> options = [.. chosen.Select(e => ShortEvent(scene, e))];
                if (options.Distinct(StringComparer.Ordinal).Count() == options.Count)
                    questions.Add(new SceneQuestion("which", "which of these happens first?", options[0], options, Order: true));
            }
        }
        return questions;
    }

    /// <summary>"the red circle moves left": an event named by colour, shape and canonical motion phrase.</summary>
    public static string ShortEvent(SynthScene scene, SynthEvent e)
    {
        string phrase = s_motionPhrases.TryGetValue(e.Motion, out string[]? p) ? p[0] : Words(e.Motion);
        string text = Short(Object(scene, e.Object)) + " " + phrase;
        if (e.Other is int other && other >= 0 && other < scene.Objects.Count) text += " " + Short(scene.Objects[other]);
        return text;
    }

    private static SynthObject Object(SynthScene scene, int id) =>
        id >= 0 && id < scene.Objects.Count ? scene.Objects[id]
        : throw new ArgumentException($"Scene '{scene.Id}' has an event for object {id} but only {scene.Objects.Count} object(s); fix the scene graph.");

    private static string ObjectKey(SynthObject o) => string.Join('|', o.Size, o.Colour, o.Texture, o.Shape);

    private static bool Unique(SynthScene scene, Func<SynthObject, bool> match) => scene.Objects.Count(match) == 1;

    private static string Pick(Random random, Dictionary<string, string[]> table, string key) =>
        table.TryGetValue(key, out string[]? options) ? options[random.Next(options.Length)] : Words(key);

    /// <summary>"move-left" -> "move left": vocabulary names as words.</summary>
    public static string Words(string name) => name.Replace('-', ' ').Replace('_', ' ');

    private static string Join(params string[] parts) => string.Join(' ', parts.Where(p => p.Length > 0));

    private static string Article(string phrase) =>
        (phrase.Length > 0 && "aeiou".Contains(phrase[0], StringComparison.Ordinal) ? "an " : "a ") + phrase;
}
