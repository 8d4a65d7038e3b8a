# METADATA
# title: Image references
# description: Which names an image is known by, and matching them against patterns.
package regate.lib.images

_image := object.get(input, "image", {}) if is_object(input)

_field(name) := v if {
	v := object.get(_image, name, "")
	is_string(v)
	v != ""
}

# METADATA
# title: Every name of the input image
# description: Its full reference, registry/repository@digest, the digest and the image id.
names contains _field("reference")

names contains _field("digest")

names contains _field("id")

names contains sprintf("%s/%s@%s", [_field("registry"), _field("repository"), _field("digest")])

# An image known by no name still meets catch-all patterns such as "*".
names contains "" if {
	not _field("reference")
	not _field("digest")
	not _field("id")
}

# METADATA
# title: Whether a pattern matches any name of the image
# description: Patterns are globs in which * matches any characters, / included.
matches(pattern) if {
	some name in names
	glob.match(pattern, null, name)
}

# METADATA
# title: Whether any of the patterns matches the image
matches_any(patterns) if {
	some pattern in patterns
	matches(pattern)
}
