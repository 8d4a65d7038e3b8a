package regate.lib.images_test

import data.regate.lib.images

image := {"image": {
	"reference": "registry.example.com/prod/api:1.4",
	"registry": "registry.example.com",
	"repository": "prod/api",
	"digest": "sha256:abc",
	"id": "sha256:def",
}}

test_success_names if {
	images.names == {
		"registry.example.com/prod/api:1.4",
		"registry.example.com/prod/api@sha256:abc",
		"sha256:abc",
		"sha256:def",
	} with input as image
}

test_success_star_crosses_slashes if {
	images.matches("registry.example.com/*") with input as image
	images.matches("*") with input as image
	images.matches("*@sha256:abc") with input as image
}

test_fail_other_registry_does_not_match if {
	not images.matches("docker.io/*") with input as image
	not images.matches_any(["docker.io/*", "*:1.5"]) with input as image
}

test_success_an_unnamed_image_meets_only_catch_all_patterns if {
	images.names == {""} with input as {}
	images.matches("*") with input as {}
	not images.matches("*:latest") with input as {"image": {"reference": ""}}
}
