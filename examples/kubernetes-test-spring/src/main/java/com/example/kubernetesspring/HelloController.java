package com.example.kubernetesspring;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

@RestController
public class HelloController {

	public static final String GREETING = "Hello from kubernetes-spring!";

	@GetMapping("/")
	public String hello() {
		return GREETING;
	}

}
